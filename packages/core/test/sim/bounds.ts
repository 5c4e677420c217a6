import type { Fault, Setup } from './schedule.js'

/**
 * The stated bounds the invariants hold the engines to, from the scenario's timers and latencies.
 * All in true (simulated) ms. `skew` stretches anything a node measures on its own clock.
 */
export interface Bounds {
  /** The slowest clock's factor against true time (1.01 for a clock 1 % slow). */
  readonly skew: number
  /** The longest one-way heartbeat delay on a healthy link. */
  readonly delayMs: number
  /** The longest acquire and release checklists when no fault obstructs them (slow hooks included). */
  readonly acquireMs: number
  readonly releaseMs: number
  /**
   * `two-holders`: how long after two nodes became connected (a heal, a restart, a resume, an
   * accepted `ipfo takeover`) both may still hold an address: the holder that should let go hears
   * the other (an interval and a delay), its acquire may have to finish first, then its release.
   */
  readonly graceMs: number
  /**
   * What a relay adds to `graceMs` for two holders that hear each other only through a third node:
   * the relay says what it heard in its next heartbeat (an interval) and that crosses one more link.
   */
  readonly relayMs: number
  /**
   * `unheld`: how long an address may stay unheld while a fit node could hold it: detection
   * (deadAfter), a heartbeat each way, a release that must end first, and two acquires (two
   * nodes claiming at once both yield, and the owner claims again).
   */
  readonly unheldMs: number
  /** How long after an obstructing fault is lifted a node is still excused (its retry timer). */
  readonly obstructionMs: number
  readonly carrierSettleMs: number
  /** The engine's retry after a checklist that changed nothing: max(5 s, deadAfter). */
  readonly retryMs: number
  /**
   * How long after its service changed (or its agent came up) a node's verdict says so for sure: a
   * slow run still going, then `fall` or `rise` runs an interval apart (0 without checks).
   */
  readonly fitSettleMs: number
  /**
   * `fit-holder`: how long after the last change an address may lack a fit holder while a fit node
   * could hold it: the verdicts settle, a hand-over (the unfit holder hears the fit node, releases,
   * the fit node hears that and acquires) within the unheld bound, two holders resolved first.
   */
  readonly fitHolderMs: number
}

/** NOTIFY_ONLY_RETRY_MS in the state machine: Test said no to an acquire; it is asked again after this. */
export const NOTIFY_RETRY_MS = 60_000

export function boundsOf(setup: Setup, faults: readonly Fault[]): Bounds {
  const t = setup.timers
  const l = setup.latency
  const skew = Math.max(...setup.nodes.map((n) => Math.max(n.clockRate, 1 / n.clockRate)))
  const slowMs = Math.max(0, ...faults.map((f) => (f.kind === 'hooks' ? (f.slowMs ?? 0) : 0)))
  const journal = 3 * l.journalMs
  const arbitration = t.arbitration ? t.arbitrationTimeoutMs : 0
  const announceMs = Math.max(0, t.announceCount - 1) * t.announceIntervalMs + 20
  const hooks = (...stages: (keyof typeof l.hookMs)[]) =>
    stages.reduce((sum, s) => sum + l.hookMs[s] + slowMs, 0)
  const acquireMs =
    arbitration +
    hooks('Test', 'PreAcq', 'PostAcq', 'PreRel', 'PostRel') +
    2 * l.addressMs +
    announceMs +
    journal
  const releaseMs = hooks('Test', 'PreRel', 'PostRel') + 2 * l.addressMs + journal
  const delayMs = l.delayMs + l.jitterMs
  const slack = 50
  const detection = skew * (t.deadAfterMs + 2 * t.intervalMs)
  const graceMs = detection + 2 * delayMs + acquireMs + releaseMs + slack
  const unheldMs = detection + 2 * delayMs + 2 * acquireMs + releaseMs + slack
  const retryMs = Math.max(5_000, t.deadAfterMs)
  const c = setup.checks
  const slowRunMs = Math.max(0, ...faults.map((f) => (f.kind === 'slow-check' ? f.runMs : 0)))
  const fitSettleMs = c
    ? skew * (slowRunMs + (Math.max(c.fall, c.rise) + 1) * c.intervalMs + c.runMs) + slack
    : 0
  return {
    skew,
    delayMs,
    acquireMs,
    releaseMs,
    graceMs,
    relayMs: skew * t.intervalMs + delayMs,
    unheldMs,
    obstructionMs: skew * retryMs + graceMs,
    carrierSettleMs: skew * Math.max(t.carrierSettleMs, t.deadAfterMs),
    retryMs: skew * retryMs,
    fitSettleMs,
    fitHolderMs: fitSettleMs + graceMs + unheldMs + acquireMs + releaseMs,
  }
}
