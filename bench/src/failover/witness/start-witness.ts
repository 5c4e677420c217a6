import { fileURLToPath } from 'node:url'
import { ProcessGroup } from '../process-group.js'
import { mustUntil } from '../wait.js'
import type { Stall } from './shared-stalls.js'

const WITNESS = fileURLToPath(new URL('./witness.js', import.meta.url))

/** The witness's timer fired this late or more: a stall worth setting beside the agents'. */
export const WITNESS_THRESHOLD_MS = 5

export interface Witness {
  /** Each time its timer fired WITNESS_THRESHOLD_MS late or more. */
  readonly stalls: readonly Stall[]
  stop(): Promise<void>
}

/**
 * Starts witness.js: a 10 ms timer in a process that is not ipfo, one SCHED_FIFO priority above the
 * agents (2 over agents at 1; 1 over agents at normal priority), so that they never delay it: it
 * stalls only when the machine does (the kernel, a frozen VM). Node's GC runs on its one thread, as
 * the agents'.
 */
export async function startWitness(opts: { readonly agentsPriority?: number } = {}): Promise<Witness> {
  const stalls: Stall[] = []
  let ready = false
  const node = [
    process.execPath,
    '--single-threaded-gc',
    '--max-semi-space-size=1',
    WITNESS,
    '10',
    String(WITNESS_THRESHOLD_MS),
  ]
  const command = ['chrt', '-f', String((opts.agentsPriority ?? 0) + 1), ...node]
  const group = new ProcessGroup('witness', command, {
    keepLines: false,
    onLine: (line) => {
      try {
        const parsed = JSON.parse(line.text) as { ready?: boolean; at?: number; lateMs?: number }
        if (parsed.ready) ready = true
        else if (typeof parsed.at === 'number' && typeof parsed.lateMs === 'number')
          stalls.push({ at: parsed.at, ms: parsed.lateMs })
      } catch {
        // Not a witness line (a Node warning): nothing to count.
      }
    },
  })
  await mustUntil('the witness to start', () => ready, 10_000)
  return { stalls, stop: () => group.kill() }
}
