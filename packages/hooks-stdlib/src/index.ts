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
export { type CommandRunner, type RunResult, zxRunner } from './runner.js'
export {
  assertNoInlineSecrets,
  parseHookOptions,
  readHookOptions,
  readSecret,
  sidecarPath,
} from './sidecar.js'
