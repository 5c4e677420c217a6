/** A stall: when it ended (epoch ms) and how long it lasted (ms). */
export interface Stall {
  readonly at: number
  readonly ms: number
}

/** Two clocks' readings of one moment may differ by this much (ms), and a timer's own jitter. */
export const SHARED_TOLERANCE_MS = 3

/** Whether two stalls overlap in time: [at - ms, at] each, widened by the tolerance. */
function overlap(a: Stall, b: Stall): boolean {
  return a.at - a.ms <= b.at + SHARED_TOLERANCE_MS && b.at - b.ms <= a.at + SHARED_TOLERANCE_MS
}

/**
 * The agents' stalls that the witness stalled in too: the machine's, not ipfo's own. An agent's
 * stall is its heartbeat timer's lateness (a `loop-stalled` event's time and `stalledMs`), the
 * witness's its own timer's.
 */
export function sharedStalls(agent: readonly Stall[], witness: readonly Stall[]): Stall[] {
  return agent.filter((a) => witness.some((w) => overlap(a, w)))
}

/**
 * The moments (epoch ms) among `times` that come within `afterMs` after the end of a witness stall:
 * a peer declared lost just after the machine itself stopped.
 */
export function justAfterStalls(
  times: readonly number[],
  witness: readonly Stall[],
  afterMs: number,
): number[] {
  return times.filter((t) => witness.some((w) => t >= w.at - w.ms && t <= w.at + afterMs))
}
