#!/usr/bin/env node
import { serviceHook } from '../hooks/service.js'
import { runHookMain } from '../main.js'

process.exitCode = await runHookMain(serviceHook)
