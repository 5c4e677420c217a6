import { setFlagsFromString } from 'node:v8'

/**
 * Runs `load` with V8 compiling every function of the code it loads at once, not at its first call,
 * and keeping that code for the life of the process.
 *
 * A takeover runs code that nothing else runs. By default V8 compiles a function the first time it
 * is called, so the first takeover paid for compiling its path. The engine's rehearsal (core's
 * engine/rehearsal.ts) runs the state machine's and the checklist's part of it at start, on an
 * address control that does nothing; the rest (the add over rtnetlink, the frame for the
 * gratuitous ARP, the guard's brief) was still compiled on the way: some 0.7 ms of the 2.5 ms from
 * the decision's turn to the gratuitous ARP handed to its sender (`npm run bench:takeover-path`).
 * V8 also drops the code of a function that has not run for a while (bytecode flushing), which
 * would undo this for an agent that runs for hours before its first takeover: that is turned off
 * for the process, at the cost of keeping the few functions that ran once at the start.
 *
 * Only what `load` imports is compiled whole: `ipfo agent` imports the libraries a takeover never
 * calls into (zod, yaml, pino) before. The cost: some 4 MB more of the agent's RSS.
 */
export async function compiledWhole<T>(load: () => Promise<T>): Promise<T> {
  setFlagsFromString('--no-flush-bytecode')
  setFlagsFromString('--no-lazy')
  try {
    return await load()
  } finally {
    setFlagsFromString('--lazy')
  }
}
