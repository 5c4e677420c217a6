#!/usr/bin/env node
import { afpHook } from '../hooks/afp.js'
import { runHookMain } from '../main.js'

process.exitCode = await runHookMain(afpHook)
