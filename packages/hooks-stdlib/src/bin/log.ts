#!/usr/bin/env node
import { logHook } from '../hooks/log.js'
import { runHookMain } from '../main.js'

process.exitCode = await runHookMain(logHook)
