import { setTimeout as delay } from 'node:timers/promises'
import type { z } from 'zod'
import {
  type HookDefinition,
  type HookDeps,
  type HookOutcome,
  readHookEvent,
  readNoticeEvent,
} from './define-hook.js'
import { HookInputError } from './errors.js'
import { zxRunner } from './runner.js'
import { readHookOptions, sidecarPath } from './sidecar.js'

/** Exit codes of a hook executable. */
export const HOOK_EXIT = { ok: 0, failed: 1, badInput: 2 } as const

/**
 * Set by the wrapper `ipfo hooks add` writes (`IPFO_HOOK_OPTIONS_FILE="$0.json" exec node ...`), so the
 * executable finds the sidecar of the script that ran it. Without it, `<this executable>.json`.
 */
export const OPTIONS_FILE_VARIABLE = 'IPFO_HOOK_OPTIONS_FILE'

type Env = Readonly<Record<string, string | undefined>>

/** The real dependencies: zx for commands, global fetch, the wall clock, stderr for notes. */
export function systemDeps(env: Env = process.env, overrides: Partial<HookDeps> = {}): HookDeps {
  return {
    runner: zxRunner(),
    env,
    fetch: globalThis.fetch,
    now: Date.now,
    sleep: (ms) => delay(ms),
    print: (line) => process.stdout.write(`${line}\n`),
    note: (line) => process.stderr.write(`${line}\n`),
    ...overrides,
  }
}

export interface MainOptions {
  readonly argv?: readonly string[]
  readonly env?: Env
  /** The executable's path, for the `<script>.json` fallback; process.argv[1] by default. */
  readonly script?: string
  readonly deps?: Partial<HookDeps>
}

/**
 * A hook executable's whole body: reads the event (argv + IPFO_* variables) and the sidecar options,
 * runs the hook, prints its summary and returns the exit code (0 done, 1 failed, 2 bad input).
 * Never exits the process itself: `process.exitCode = await runHookMain(hook)`.
 */
export async function runHookMain<S extends z.ZodType>(
  hook: HookDefinition<S>,
  opts: MainOptions = {},
): Promise<number> {
  const env = opts.env ?? process.env
  const deps = systemDeps(env, opts.deps)
  try {
    const file = env[OPTIONS_FILE_VARIABLE] || sidecarPath(opts.script ?? process.argv[1] ?? hook.name)
    let outcome: HookOutcome
    if (env.IPFO_PHASE === 'Notify') {
      if (!hook.notify) throw new HookInputError(`the ${hook.name} hook cannot be a Notify script`)
      const notice = readNoticeEvent(env, opts.argv ?? process.argv.slice(2))
      outcome = await hook.notify(notice, await readHookOptions(hook, file), deps)
    } else {
      const event = await readHookEvent(env, opts.argv ?? process.argv.slice(2))
      outcome = await hook.run(event, await readHookOptions(hook, file), deps)
    }
    deps.print(`${hook.name}: ${outcome.summary}`)
    return outcome.ok ? HOOK_EXIT.ok : HOOK_EXIT.failed
  } catch (error) {
    if (error instanceof HookInputError) {
      deps.note(`${hook.name}: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`)
      return HOOK_EXIT.badInput
    }
    deps.note(`${hook.name}: ${error instanceof Error ? error.message : String(error)}`)
    return HOOK_EXIT.failed
  }
}
