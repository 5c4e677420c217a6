import type { BenchOptions } from './options.js'
import { waitForQuiet } from './quiet-gate.js'

export type Progress = (line: string) => void

/** With --quiet: waits for the machine to calm down and returns how busy it was; else undefined. */
export async function quiet(opts: BenchOptions, progress: Progress): Promise<number | undefined> {
  if (opts.quietPercent === undefined) return undefined
  return waitForQuiet(opts.quietPercent, opts.quietWaitMs, (busy) =>
    progress(`waiting for the machine to calm down: other work keeps ${busy}% of the CPU busy`),
  )
}

const ATTEMPTS = 3

/**
 * Runs `body` up to ATTEMPTS times. A failed attempt (a daemon that did not start, say) is kept in
 * `failed` for the report, never silently dropped; undefined when every attempt failed.
 */
export async function attempt<T>(
  label: string,
  body: () => Promise<T>,
  failed: string[],
  progress: Progress,
): Promise<T | undefined> {
  for (let i = 1; i <= ATTEMPTS; i++) {
    try {
      return await body()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      failed.push(message)
      progress(`${label}: attempt ${i}/${ATTEMPTS} FAILED: ${message}`)
    }
  }
  return undefined
}
