import type { Clock, TimerHandle } from '../ports.js'

/** The real clock: monotonic time from performance.now(), timers from the event loop. */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now() - START_OFFSET,
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  // setImmediate runs in the check phase, after the poll phase has delivered queued socket reads.
  afterIo: (fn) => {
    setImmediate(fn)
  },
}

// Keeps monotonic values small and readable while staying monotonic.
const START_OFFSET = performance.timeOrigin
