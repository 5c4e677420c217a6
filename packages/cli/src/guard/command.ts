import { fileURLToPath } from 'node:url'

/** The guard's program, run by the same Node as the agent. */
const GUARD_MAIN = fileURLToPath(new URL('./main.js', import.meta.url))

/**
 * How the agent starts its guard. Small heaps: the guard holds a few addresses and packets. Garbage
 * collection on its one thread: with background GC threads, a guard at real-time priority could spin
 * (see the agent's scheduling).
 */
export const GUARD_COMMAND = {
  command: process.execPath,
  args: ['--max-semi-space-size=1', '--max-old-space-size=16', '--single-threaded-gc', GUARD_MAIN],
} as const
