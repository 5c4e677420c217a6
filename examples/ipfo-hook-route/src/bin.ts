#!/usr/bin/env node
import { runHookMain } from '@ipfo/hooks-stdlib'
import { routeHook } from './hook.js'

process.exitCode = await runHookMain(routeHook)
