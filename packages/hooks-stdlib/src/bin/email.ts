#!/usr/bin/env node
import { emailHook } from '../hooks/email.js'
import { runHookMain } from '../main.js'

process.exitCode = await runHookMain(emailHook)
