import { type GenerateOptions, generate } from './generate.js'
import { runScenario } from './run-scenario.js'
import type { Schedule } from './schedule.js'
import { shrink } from './shrink.js'
import type { Violation } from './violation.js'

export interface BatchOptions extends GenerateOptions {
  readonly firstSeed: number
  readonly scenarios: number
  /** Run every `stride`-th seed from `firstSeed + offset` (a worker's share). */
  readonly stride?: number
  readonly offset?: number
  readonly shrink: boolean
  /** Stop after this many violations. */
  readonly stopAfter: number
  readonly onProgress?: (done: number) => void
  readonly onFound?: (found: Found) => void
}

export interface Found {
  readonly seed: number
  readonly violation: Violation
  readonly original: Schedule
  /** The shrunk schedule (the original when not shrinking) and what it breaks. */
  readonly minimal: Schedule
  readonly minimalViolation: Violation
  readonly traceTail: readonly string[]
  readonly shrinkRuns: number
}

export interface BatchStats {
  scenarios: number
  events: number
  simulatedMs: number
  /** CPU time this process spent on the batch (user + system). */
  cpuMs: number
  found: Found[]
}

/** Generates and runs scenarios seed after seed; each violation is shrunk and handed to `onFound`. */
export async function runBatch(opts: BatchOptions): Promise<BatchStats> {
  const stats: BatchStats = { scenarios: 0, events: 0, simulatedMs: 0, cpuMs: 0, found: [] }
  const cpu = process.cpuUsage()
  const stride = opts.stride ?? 1
  for (let i = opts.offset ?? 0; i < opts.scenarios; i += stride) {
    const seed = opts.firstSeed + i
    const schedule = generate(seed, opts)
    const result = await runScenario(schedule)
    stats.scenarios++
    stats.events += result.events
    stats.simulatedMs += result.simulatedMs
    opts.onProgress?.(stats.scenarios)
    if (!result.violation) continue
    const found = await minimise(seed, schedule, result.violation, opts.shrink)
    stats.found.push(found)
    opts.onFound?.(found)
    if (stats.found.length >= opts.stopAfter) break
  }
  const used = process.cpuUsage(cpu)
  stats.cpuMs = (used.user + used.system) / 1000
  return stats
}

export async function minimise(
  seed: number,
  original: Schedule,
  violation: Violation,
  shrinking: boolean,
): Promise<Found> {
  let runs = 0
  const minimal = shrinking ? await shrink(original, violation.invariant, { onStep: () => runs++ }) : original
  const replay = await runScenario(minimal, { keepTrace: 40 })
  return {
    seed,
    violation,
    original,
    minimal,
    minimalViolation: replay.violation ?? violation,
    traceTail: replay.traceTail,
    shrinkRuns: runs,
  }
}
