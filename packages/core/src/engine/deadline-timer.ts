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

/**
 * A gap between timer runs longer than deadAfter (and than two intervals) means this process was
 * frozen (SIGSTOP, a VM pause) long enough for peers to have taken over. `note` is called by every
 * timer of the engine and returns the gap when it was such a freeze.
 */
export function pauseDetector(opts: { readonly deadAfterMs: number; readonly intervalMs: number }) {
  let lastRunAt: number | undefined
  return {
    note(now: number): number | undefined {
      const gap = lastRunAt === undefined ? 0 : now - lastRunAt
      lastRunAt = now
      return gap > opts.deadAfterMs && gap > 2 * opts.intervalMs ? gap : undefined
    },
  }
}
