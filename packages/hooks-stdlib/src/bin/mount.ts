#!/usr/bin/env node
import { mountHook } from '../hooks/mount.js'
import { runHookMain } from '../main.js'

process.exitCode = await runHookMain(mountHook)
