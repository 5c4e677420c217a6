import { setFlagsFromString } from 'node:v8'

/**
 * Runs `load` with V8 compiling every function of the code that loads meanwhile at once, not at its
 * first call, and keeps compiled code for the life of the process.
 *
 * A takeover runs code that nothing else runs. By default V8 compiles a function the first time it
 * is called, so the first takeover paid for compiling its path. The engine's rehearsal (core's
 * engine/rehearsal.ts) runs the state machine's and the checklist's part of it at start, on an
 * address control that does nothing; the rest (the add over rtnetlink, the frame for the
 * gratuitous ARP, the guard's brief) was still compiled on the way: 0.9 ms of the 2.5 ms from the
 * decision's turn to the gratuitous ARP handed to its sender (`npm run bench:takeover-path`).
 *
 * V8 also drops the code of a function that has not run for a while (bytecode flushing), which
 * would undo this for an agent that runs for hours before its first takeover: that is turned off
 * for the process, so the code of whatever ran once at the start (the libraries' start-up, oclif's
 * when oclif runs the agent) is kept too. Measured on the fast path: some 4 MB more RSS in all.
 *
 * Everything that loads while `load` runs is compiled whole, whoever loads it: `ipfo agent` loads
 * the libraries a takeover never calls into (core's agent/libraries.ts) before. A process started
 * with `--no-lazy` compiles everything anyway, and is left so.
 */
export async function compiledWhole<T>(load: () => Promise<T>): Promise<T> {
  setFlagsFromString('--no-flush-bytecode')
  if (process.execArgv.some((arg) => arg === '--no-lazy' || arg === '--nolazy')) return load()
  setFlagsFromString('--no-lazy')
  try {
    return await load()
  } finally {
    setFlagsFromString('--lazy')
  }
}
