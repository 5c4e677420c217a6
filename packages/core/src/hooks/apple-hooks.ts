import { readdirSync } from 'node:fs'
import { appendFile, mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { HooksConfig } from '../config/schema.js'
import {
  type HookContext,
  type HookInvocation,
  type HookPhase,
  type HookStage,
  hookInvocation,
} from '../model/hook-contract.js'
import { type HookResultLine, resultLine } from '../model/hook-results.js'
import type { GateVerdict, HooksPort, PhaseOutcome } from '../model/ports.js'
import type { EventBody } from '../state-machine/effects.js'
import { addressFolder, stageScripts } from './layout.js'
import { checkHookSafety, type SafetyFs } from './safety.js'

/** How one hook run ended. */
export interface HookResult {
  readonly exitCode: number | null
  readonly signal: string | null
  readonly timedOut: boolean
  readonly durationMs: number
  /** Captured output, bounded; a note at the end says what was cut. */
  readonly stdout: string
  readonly stderr: string
}

/** Runs one hook file with its argv and environment, killing it (and its group) after `timeoutMs`. */
export type HookRun = (
  file: string,
  invocation: HookInvocation,
  timeoutMs: number,
  user?: string,
) => Promise<HookResult>

export interface AppleHooksOptions {
  /** The hooks folder: `<dir>/<ip>/Test`, `<dir>/<ip>/PreAcq*`, ... A missing folder means no hooks. */
  readonly dir: string
  readonly config: HooksConfig
  /** The agent runs as root: refuse unsafe hook files (see safety.ts) instead of running them. */
  readonly runAsRoot: boolean
  readonly emit: (event: EventBody) => void
  readonly run: HookRun
  /** Where each checklist's IPFO_RESULTS_FILE is written (the newest few are kept). */
  readonly resultsDir: string
  /** For tests of the safety checks. */
  readonly safetyFs?: SafetyFs
}

/** Results files kept in `resultsDir`; older ones are deleted when a checklist starts. */
const KEEP_RESULTS = 50

type Ran = { readonly script: string; readonly failure: string | undefined; readonly timedOut: boolean }

/**
 * The hooks port over Apple's /Library/IPFailover layout.
 *
 * gate: each address's `Test`, in checklist order. Missing or exit 0: proceed. Anything else makes the
 * whole checklist notification-only (a set of addresses moves together), and so does a `Test` that
 * could not answer: one that timed out (with an `error` event), one refused as unsafe, or a folder
 * that cannot be read. A gate that cannot answer must not move addresses.
 *
 * runPhase: each address's phase scripts, in checklist order then byte order, one after the other,
 * each with its timeout (`phases.<phase>.timeout`, else `timeout`). Every run is a `hook-finished`
 * event and a line in the checklist's results file. A failure (non-zero exit, signal, timeout, refused
 * as unsafe) is reported and the next script runs. With `phases.<phase>.strict`, the first failure
 * ends the phase with `{ ok: false }`: before PreAcq/PreRel the executor then leaves the addresses as
 * they are; after PostAcq/PostRel the address change stands and the phase's remaining scripts are
 * skipped. `run.beforeFirstScript` is awaited just before the phase's first script starts. Everything
 * is asynchronous: heartbeats go on while hooks run.
 */
export function appleHooks(opts: AppleHooksOptions): HooksPort {
  const { config, emit } = opts

  /** Results files created so far (a few are remembered, to create each once). */
  const created = new Map<string, Promise<void>>()

  /** One results file per checklist: the hooks of a checklist all get the same context. */
  function resultsFile(ctx: HookContext): string {
    return join(opts.resultsDir, `${ctx.eventTime}-${ctx.owner}-${ctx.action}.jsonl`)
  }

  /** Creates the results file before the checklist's first hook runs; none is made when no hook runs. */
  function ensureResults(file: string): Promise<void> {
    let creating = created.get(file)
    if (!creating) {
      creating = (async () => {
        try {
          await mkdir(opts.resultsDir, { recursive: true, mode: 0o755 })
          await appendFile(file, '', { mode: 0o644 })
          await pruneResults(opts.resultsDir)
        } catch (error) {
          emit({
            kind: 'error',
            message: messageOf(error),
            context: `creating the hook results file ${file}`,
          })
        }
      })()
      created.set(file, creating)
      if (created.size > KEEP_RESULTS) created.delete(created.keys().next().value!)
    }
    return creating
  }

  async function record(file: string, entry: HookResultLine): Promise<void> {
    try {
      await appendFile(file, resultLine(entry))
    } catch (error) {
      emit({ kind: 'error', message: messageOf(error), context: `writing the hook results file ${file}` })
    }
  }

  /** Runs (or refuses) one hook; `failure` says why it did not succeed, undefined when it did. */
  async function runOne(
    stage: HookStage,
    folder: string,
    name: string,
    ctx: HookContext,
    address: HookContext['addresses'][number],
    results: string,
  ): Promise<Ran> {
    const script = join(folder, name)
    await ensureResults(results)
    const where = { phase: stage, script, address: `${address.ip}/${address.prefix}` }
    if (opts.runAsRoot) {
      const verdict = await checkHookSafety(opts.dir, script, {
        uid: 0,
        ...(opts.safetyFs ? { fs: opts.safetyFs } : {}),
      })
      if (!verdict.ok) {
        emit({ kind: 'hook-refused', phase: stage, path: script, reason: verdict.reason, fix: verdict.fix })
        await record(results, { ...where, refused: verdict.reason, fix: verdict.fix })
        return { script, failure: `was refused: ${verdict.reason}`, timedOut: false }
      }
    }
    const invocation = hookInvocation(stage, ctx, address, {
      resultsFile: results,
      emailRecipient: config.emailRecipient,
    })
    const timeoutMs = config.phases[stage]?.timeout ?? config.timeout
    const result = await opts.run(script, invocation, timeoutMs, config.user)
    emit({ kind: 'hook-finished', phase: stage, script, ...pickResult(result) })
    await record(results, { ...where, ...pickResult(result) })
    return { script, failure: failureOf(result, timeoutMs), timedOut: result.timedOut }
  }

  /**
   * One listing per folder per checklist (a checklist's Test and phases share its context): a
   * takeover reads the folder once, not once per phase, on its way to the address change.
   */
  const listings = new WeakMap<HookContext, Map<string, Promise<string[] | undefined>>>()
  function listFor(ctx: HookContext, folder: string): Promise<string[] | undefined> {
    const byFolder = listings.get(ctx) ?? new Map<string, Promise<string[] | undefined>>()
    listings.set(ctx, byFolder)
    const listing = byFolder.get(folder) ?? list(folder)
    byFolder.set(folder, listing)
    return listing
  }

  /**
   * The folder's names, [] when it does not exist, undefined (after an error event) when unreadable.
   * Read synchronously: a hook folder is a local directory of a few names (tens of microseconds),
   * while a trip through libuv's thread pool costs a takeover a wake-up of another thread and of
   * this one, which on a busy machine wait for a free core before the address is added.
   */
  async function list(folder: string): Promise<string[] | undefined> {
    try {
      return readdirSync(folder)
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return []
      emit({ kind: 'error', message: messageOf(error), context: `reading the hook folder ${folder}` })
      return undefined
    }
  }

  return {
    async gate(ctx): Promise<GateVerdict> {
      const results = resultsFile(ctx)
      for (const address of ctx.addresses) {
        const folder = addressFolder(opts.dir, address.ip)
        const names = await listFor(ctx, folder)
        if (names === undefined) return 'notify-only'
        for (const name of stageScripts('Test', names)) {
          const ran = await runOne('Test', folder, name, ctx, address, results)
          if (ran.timedOut) {
            emit({
              kind: 'error',
              message: `${ran.script} did not answer within its timeout; notification only, no address changes`,
              context: `the ${ctx.action} gate for ${ctx.owner}'s addresses`,
            })
          }
          if (ran.failure !== undefined) return 'notify-only'
        }
      }
      return 'proceed'
    },

    async runPhase(phase: HookPhase, ctx, run): Promise<PhaseOutcome> {
      const strict = config.phases[phase]?.strict ?? false
      const results = resultsFile(ctx)
      let before = run?.beforeFirstScript
      for (const address of ctx.addresses) {
        const folder = addressFolder(opts.dir, address.ip)
        const names = await listFor(ctx, folder)
        if (names === undefined) {
          if (strict)
            return { ok: false, reason: `the strict ${phase} hooks in ${folder} could not be listed` }
          continue
        }
        for (const name of stageScripts(phase, names)) {
          if (before) {
            await before()
            before = undefined
          }
          const ran = await runOne(phase, folder, name, ctx, address, results)
          if (ran.failure !== undefined && strict) {
            return { ok: false, reason: `strict ${phase} hook ${ran.script} ${ran.failure}` }
          }
        }
      }
      return { ok: true }
    },
  }
}

function pickResult(r: HookResult) {
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
    stdout: r.stdout,
    stderr: r.stderr,
  }
}

function failureOf(result: HookResult, timeoutMs: number): string | undefined {
  if (result.timedOut) return `timed out after ${timeoutMs} ms`
  if (result.exitCode === 0) return undefined
  return result.exitCode === null ? `was killed by ${result.signal}` : `exited ${result.exitCode}`
}

/** Keeps the newest KEEP_RESULTS results files (their names start with the event time). */
async function pruneResults(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => /^\d+-.+\.jsonl$/.test(n))
  if (names.length <= KEEP_RESULTS) return
  const oldest = names.sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]))
  await Promise.all(oldest.slice(0, -KEEP_RESULTS).map((n) => rm(join(dir, n), { force: true })))
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
