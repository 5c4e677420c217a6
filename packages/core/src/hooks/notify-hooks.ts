import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { HooksConfig } from '../config/schema.js'
import { describeEvent } from '../model/describe-event.js'
import type { IpfoEvent } from '../model/events.js'
import { NOTIFY_EVENTS, type NotifyEventKind, notifyInvocation } from '../model/hook-contract.js'
import type { EventBody } from '../state-machine/effects.js'
import type { HookRun } from './apple-hooks.js'
import { byteOrder, isIgnoredName } from './layout.js'
import { checkHookSafety } from './safety.js'

export interface NotifyHooksOptions {
  readonly dir: string
  readonly config: HooksConfig
  readonly node: string
  readonly runAsRoot: boolean
  readonly run: HookRun
  readonly emit: (event: EventBody) => void
}

/**
 * The top-level `Notify*` scripts of the hooks folder, run for the events an administrator must hear
 * about that no checklist covers (Apple's "network anomaly" mail): a link anomaly, its end, a forced
 * claim. Events are queued and run one at a time, in order, off the event path; the scripts get the
 * same safety checks and time limit as the phase hooks.
 */
export function notifyHooks(opts: NotifyHooksOptions): (event: IpfoEvent) => void {
  let queue: Promise<void> = Promise.resolve()
  const wanted = new Set<string>(NOTIFY_EVENTS)
  return (event) => {
    if (!wanted.has(event.kind)) return
    queue = queue
      .then(() => runAll(event as IpfoEvent & { kind: NotifyEventKind }, opts))
      .catch((error: unknown) =>
        opts.emit({
          kind: 'error',
          message: String(error),
          context: `running Notify hooks for ${event.kind}`,
        }),
      )
  }
}

async function runAll(event: IpfoEvent, opts: NotifyHooksOptions): Promise<void> {
  const names = (await readdir(opts.dir).catch(() => [] as string[]))
    .filter((n) => n.startsWith('Notify') && !isIgnoredName(n))
    .sort(byteOrder)
  const invocation = notifyInvocation(event as IpfoEvent & { peer?: string }, {
    node: opts.node,
    description: describeEvent(event),
    emailRecipient: opts.config.emailRecipient,
  })
  for (const name of names) {
    const script = join(opts.dir, name)
    if (opts.runAsRoot) {
      const verdict = await checkHookSafety(opts.dir, script, { uid: 0 })
      if (!verdict.ok) {
        opts.emit({
          kind: 'hook-refused',
          phase: 'Notify',
          path: script,
          reason: verdict.reason,
          fix: verdict.fix,
        })
        continue
      }
    }
    const result = await opts.run(script, invocation, opts.config.timeout, opts.config.user)
    opts.emit({
      kind: 'hook-finished',
      phase: 'Notify',
      script,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      stdout: result.stdout,
      stderr: result.stderr,
    })
  }
}
