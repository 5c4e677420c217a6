import { fileURLToPath } from 'node:url'

/** The `ipfo` executable of this package: what the service unit runs, and the demo's agents too. */
export const IPFO_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/**
 * The Node.js flags the agent runs with where it is installed (the systemd unit and the launchd
 * plist), for agents started as `node <bin>`; the demo starts its agents the same way. A small young
 * generation; garbage collection on the loop's own thread, which `scheduling.realtimePriority` needs
 * (under SCHED_FIFO, background GC threads starve behind the loop and it spins) and which costs less
 * CPU for the agent's small heap than handing work to other threads; and no memory reducer, whose
 * whole-heap collection soon after the start holds the loop 11-16 ms, which an interval under 10 ms
 * cannot tolerate (core's agent/scheduling.ts, NO_MEMORY_REDUCER).
 */
export const AGENT_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--single-threaded-gc',
  '--no-memory-reducer',
] as const
