/** Core's command runner, which stdlib hooks take; RunResult is the name 0.1.0 gave its result. */
export type { CommandResult, CommandResult as RunResult, CommandRunner } from '@ipfo/core'
export {
  defineHook,
  type HookAction,
  type HookAddress,
  type HookDefinition,
  type HookDeps,
  type HookEvent,
  type HookOutcome,
  type HookResult,
  type HookStage,
  readHookEvent,
} from './define-hook.js'
export { durationSchema, parseDuration } from './duration.js'
export { HookInputError } from './errors.js'
export { HOOK_EXIT, type MainOptions, OPTIONS_FILE_VARIABLE, runHookMain, systemDeps } from './main.js'
export { isStdlibHook, STDLIB_HOOKS, type StdlibHookName, stdlibHookBin, stdlibHooks } from './registry.js'
export { zxRunner } from './runner.js'
export {
  assertNoInlineSecrets,
  parseHookOptions,
  readHookOptions,
  readSecret,
  sidecarPath,
} from './sidecar.js'
