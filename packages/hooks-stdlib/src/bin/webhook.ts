#!/usr/bin/env node
import { webhookHook } from '../hooks/webhook.js'
import { runHookMain } from '../main.js'

process.exitCode = await runHookMain(webhookHook)
