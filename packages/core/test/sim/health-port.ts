import type { HealthResult } from '../../src/model/health.js'
import type { HealthPort } from '../../src/model/ports.js'
import type { AgentContext } from './agent-context.js'
import type { Prng } from './prng.js'
import type { CheckSetup } from './schedule.js'
import type { Scheduler } from './scheduler.js'
import type { Violation } from './violation.js'

/**
 * The checked service on one simulated host, as the faults leave it: down while a `service` fault
 * lasts or a `flap` is in its down half, slow while a `slow-check` lasts. It belongs to the host, not
 * to the agent: it outlives crashes and restarts. `healthySince` is the truth the invariants judge
 * fitness by, never the engine's verdict.
 */
export class Service {
  private down = 0
  private readonly slow: number[] = []
  /** Since when every run that starts answers good (null while not). */
  healthySince: number | null = 0
  /** Since when it has not been healthy (null while it is). */
  sickSince: number | null = null

  constructor(
    private readonly scheduler: Scheduler,
    private readonly check: CheckSetup | undefined,
    private readonly trace: (text: string) => void,
  ) {}

  /** The service answers (a run ending now and not too slow says ok). */
  get answering(): boolean {
    return this.down === 0
  }

  /** How long a run starting now takes, when a slow-check fault says; undefined: as usual. */
  get slowRunMs(): number | undefined {
    return this.slow.length === 0 ? undefined : Math.max(...this.slow)
  }

  /** A `service` fault or a flap's down half starts (+1) or ends (-1). */
  setDown(by: 1 | -1): void {
    const before = this.answering
    this.down += by
    if (before !== this.answering) this.trace(`service ${this.answering ? 'up' : 'down'}`)
    this.update()
  }

  setSlow(runMs: number, on: boolean): void {
    if (on) this.slow.push(runMs)
    else this.slow.splice(this.slow.indexOf(runMs), 1)
    this.trace(`check runs ${this.slowRunMs === undefined ? 'as usual' : `take ${this.slowRunMs} ms`}`)
    this.update()
  }

  private update(): void {
    const timeout = this.check?.timeoutMs ?? Number.POSITIVE_INFINITY
    const healthy = this.answering && (this.slowRunMs ?? 0) <= timeout
    this.healthySince = healthy ? (this.healthySince ?? this.scheduler.now) : null
    this.sickSince = healthy ? null : (this.sickSince ?? this.scheduler.now)
  }
}

/**
 * `check-runs`: one check's runs never overlap (check-runner.ts starts the next when the last one
 * has ended, if it ran past the interval).
 */
export class CheckRuns {
  violation: Violation | undefined

  overlap(node: string, check: string, now: number): void {
    this.violation ??= {
      invariant: 'check-runs',
      at: now,
      message: `${node}: a run of ${check} started while the last one was still running`,
    }
  }
}

/**
 * One agent generation's health port: a run answers on the simulated clock after its drawn time (up
 * to `runMs`, or the slow fault's), good if the service answers then and the run took no longer than
 * the timeout. A slow run answers late, as a probe in a busy loop would: the runner must wait for it.
 */
export function healthPort(
  ctx: AgentContext,
  world: {
    readonly check: CheckSetup
    readonly service: Service
    readonly rng: Prng
    readonly runs: CheckRuns
  },
): HealthPort {
  const running = new Set<string>()
  return {
    run: (check: string): Promise<HealthResult> => {
      if (running.has(check)) world.runs.overlap(ctx.node, check, ctx.scheduler.now)
      running.add(check)
      const { timeoutMs, runMs } = world.check
      const took = world.service.slowRunMs ?? Math.round(world.rng.between(0, runMs))
      return ctx.after(took, () => {
        running.delete(check)
        if (took > timeoutMs) return { ok: false, detail: `timed out after ${timeoutMs} ms` }
        return world.service.answering
          ? { ok: true, detail: 'connected' }
          : { ok: false, detail: 'ECONNREFUSED' }
      })
    },
    close: async () => undefined,
  }
}
