import type { Clock, TimerHandle } from '../model/ports.js'

/**
 * The real clock: monotonic whole milliseconds from performance.now() (ipfo's smallest interval is
 * 10 ms, so sub-millisecond precision would only clutter events), timers from the event loop.
 */
export const systemClock: Clock = {
  now: () => Math.round(performance.now()),
  preciseNow: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
  // setImmediate runs in the check phase, after the poll phase has delivered queued socket reads.
  afterIo: (fn) => {
    setImmediate(fn)
  },
  cpuMicros: () => {
    const { user, system } = process.cpuUsage()
    return user + system
  },
}
