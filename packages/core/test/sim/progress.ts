import type { Bounds } from './bounds.js'
import type { Scheduler } from './scheduler.js'
import type { SimNode } from './sim-node.js'
import type { Violation } from './violation.js'

/**
 * `progress`: the engines keep time moving and finish what they start. Time must advance (no
 * unbounded run of events at one instant: `Scheduler` stops at the first), and a stop (SIGTERM)
 * must end within `stopMs`: the checklists running or due for what the node holds, plus any time
 * it spent paused meanwhile. An agent that never exits holds its addresses hostage to `kill -9`.
 */
export class Progress {
  private readonly stopping = new Map<string, { since: number; pausedMs: number }>()
  private readonly pausedSince = new Map<string, number>()
  nextDue: number | undefined

  constructor(
    private readonly sim: {
      readonly scheduler: Scheduler
      readonly nodes: readonly SimNode[]
      readonly bounds: Bounds
      /** Sets of addresses in the cluster (one per owner): a node holds at most all of them. */
      readonly owners: number
    },
  ) {}

  /**
   * The longest a stop may take: per set of addresses, a running acquire that must end first and
   * the release checklist, plus slack.
   */
  get stopMs(): number {
    const { acquireMs, releaseMs, delayMs } = this.sim.bounds
    return this.sim.owners * (acquireMs + releaseMs) + 4 * delayMs + 100
  }

  check(now: number): Violation | undefined {
    const { scheduler } = this.sim
    if (scheduler.livelockAt !== undefined)
      return {
        invariant: 'progress',
        at: scheduler.livelockAt,
        message: 'time stopped: the engines ran events without end at one instant',
      }
    this.nextDue = undefined
    for (const n of this.sim.nodes) {
      const paused = scheduler.isPaused(n.id)
      if (paused && !this.pausedSince.has(n.id)) this.pausedSince.set(n.id, now)
      if (!paused && this.pausedSince.has(n.id)) {
        const s = this.stopping.get(n.id)
        if (s) s.pausedMs += now - (this.pausedSince.get(n.id) ?? now)
        this.pausedSince.delete(n.id)
      }
      if (n.state !== 'stopping') {
        this.stopping.delete(n.id)
        continue
      }
      let s = this.stopping.get(n.id)
      if (!s) {
        s = { since: now, pausedMs: 0 }
        this.stopping.set(n.id, s)
      }
      if (paused) continue
      const deadline = s.since + s.pausedMs + this.stopMs
      if (now > deadline)
        return {
          invariant: 'progress',
          at: now,
          message: `${n.id} was told to stop at ${s.since.toFixed(1)} and is still stopping (bound ${this.stopMs.toFixed(1)} ms)`,
        }
      if (this.nextDue === undefined || deadline < this.nextDue) this.nextDue = deadline
    }
    return undefined
  }
}
