import type { Clock, TimerHandle } from '../model/ports.js'

/**
 * The one timer for the machine's next deadline. `schedule` takes the deadline computed when the
 * state was judged: effects may take a while (a log write to a full pipe), and a deadline that passed
 * meanwhile must still fire (at once) rather than be dropped as "in the past".
 */
export function deadlineTimer(clock: Clock, due: () => void) {
  let timer: TimerHandle | undefined
  let at: number | undefined
  function clear(): void {
    if (timer) clock.clearTimeout(timer)
    timer = undefined
  }
  return {
    schedule(next: number | undefined): void {
      if (next === at) return
      clear()
      at = next
      // Infinity would fire at once (Node clamps it to 1 ms), again and again: nothing is due.
      if (next === undefined || !Number.isFinite(next)) return
      timer = clock.setTimeout(
        () => {
          timer = undefined
          at = undefined
          due()
        },
        Math.max(0, next - clock.now()),
      )
    },
    /** When the timer fires next; undefined when it is not armed. */
    at: (): number | undefined => at,
    clear,
  }
}

/** What a gap between the engine's timer runs says of this process. */
export type Gap =
  | { readonly kind: 'none' }
  /** Frozen (SIGSTOP, a VM pause) long enough for peers to have taken over. */
  | { readonly kind: 'paused'; readonly gapMs: number }
  /** Late by part of a heartbeat interval or more, less than a pause: a busy or briefly frozen machine. */
  | { readonly kind: 'stalled'; readonly lateMs: number }

/**
 * The heartbeat timer runs every interval, so a gap between the engine's turns (its timers, and its
 * deliveries of heartbeats read) longer than that is time this process did not run. Longer than
 * deadAfter (and two intervals): a pause. Longer than STALL_GAP intervals: a stall. `note` is called
 * at the start of every such turn, before anything is judged.
 */
export function pauseDetector(opts: { readonly deadAfterMs: number; readonly intervalMs: number }) {
  let lastRunAt: number | undefined
  return {
    note(now: number): Gap {
      const gap = lastRunAt === undefined ? 0 : now - lastRunAt
      lastRunAt = now
      if (gap > opts.deadAfterMs && gap > 2 * opts.intervalMs) return { kind: 'paused', gapMs: gap }
      if (gap > STALL_GAP * opts.intervalMs) return { kind: 'stalled', lateMs: gap - opts.intervalMs }
      return { kind: 'none' }
    },
  }
}

/** A gap of this many heartbeat intervals between timer runs is a stall of this process's own. */
export const STALL_GAP = 1.5
