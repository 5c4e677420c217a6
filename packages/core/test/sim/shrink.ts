import { runScenario } from './run-scenario.js'
import type { Fault, Schedule, Setup } from './schedule.js'
import type { InvariantName } from './violation.js'

export interface ShrinkOptions {
  /** The most scenarios to run while shrinking. */
  readonly budget?: number
  readonly onStep?: (what: string, schedule: Schedule) => void
}

/**
 * Makes a failing schedule as small as it goes while it still breaks the same invariant: the run
 * cut just after the violation, faults removed (halves, then one by one), fault spans shortened,
 * then the setup made plain (no jitter, no latencies, true clocks, one link). Each candidate is a
 * whole scenario run; the first that still fails is kept.
 */
export async function shrink(
  failing: Schedule,
  invariant: InvariantName,
  opts: ShrinkOptions = {},
): Promise<Schedule> {
  let budget = opts.budget ?? 400
  let best = failing
  const fails = async (candidate: Schedule): Promise<number | undefined> => {
    if (budget <= 0) return undefined
    budget--
    const result = await runScenario(candidate, { keepTrace: 0 })
    return result.violation?.invariant === invariant ? result.violation.at : undefined
  }
  const accept = async (candidate: Schedule, what: string): Promise<boolean> => {
    const at = await fails(candidate)
    if (at === undefined) return false
    best = cut(candidate, at)
    opts.onStep?.(what, best)
    return true
  }

  const first = await fails(best)
  if (first === undefined) return best
  best = cut(best, first)
  for (let round = 0; round < 4 && budget > 0; round++) {
    const before = JSON.stringify(best)
    await dropFaults()
    await shortenFaults()
    await plainSetup()
    if (JSON.stringify(best) === before) break
  }
  return best

  async function dropFaults(): Promise<void> {
    for (
      let size = Math.ceil(best.faults.length / 2);
      size >= 1;
      size = size === 1 ? 0 : Math.ceil(size / 2)
    ) {
      for (let i = 0; i < best.faults.length && budget > 0; ) {
        const faults = best.faults.filter((_, j) => j < i || j >= i + size)
        if (!(await accept({ ...best, faults }, `without faults ${i}..${i + size - 1}`))) i += size
      }
    }
  }

  async function shortenFaults(): Promise<void> {
    for (let i = 0; i < best.faults.length && budget > 0; i++) {
      const f = best.faults[i]!
      if (!('until' in f) || f.until === undefined || f.until - f.at < 2) continue
      const shorter = { ...f, until: f.at + Math.round((f.until - f.at) / 2) } as Fault
      await accept(
        { ...best, faults: best.faults.map((g, j) => (j === i ? shorter : g)) },
        `fault ${i} shorter`,
      )
    }
  }

  async function plainSetup(): Promise<void> {
    for (const [what, change] of SIMPLER) {
      if (budget <= 0) return
      const setup = change(best.setup)
      if (setup && JSON.stringify(setup) !== JSON.stringify(best.setup))
        await accept({ ...best, setup }, what)
    }
  }
}

const SIMPLER: readonly [string, (s: Setup) => Setup | undefined][] = [
  ['no jitter', (s) => ({ ...s, latency: { ...s.latency, jitterMs: 0 } })],
  ['no delay', (s) => ({ ...s, latency: { ...s.latency, delayMs: 0 } })],
  [
    'instant hooks',
    (s) => ({
      ...s,
      latency: { ...s.latency, hookMs: { Test: 0, PreAcq: 0, PostAcq: 0, PreRel: 0, PostRel: 0 } },
    }),
  ],
  ['instant addresses', (s) => ({ ...s, latency: { ...s.latency, addressMs: 0 } })],
  ['instant disk', (s) => ({ ...s, latency: { ...s.latency, journalMs: 0 } })],
  ['true clocks', (s) => ({ ...s, nodes: s.nodes.map((n) => ({ ...n, clockRate: 1, wallOffsetMs: 0 })) })],
  ['start together', (s) => ({ ...s, nodes: s.nodes.map((n) => ({ ...n, startAt: 0 })) })],
  ['one link', (s) => (s.links.length > 1 ? { ...s, links: ['public'] } : undefined)],
  ['no arbitration', (s) => ({ ...s, timers: { ...s.timers, arbitration: false } })],
  ['no announcements', (s) => ({ ...s, timers: { ...s.timers, announceCount: 0 } })],
  ['onStop release', (s) => ({ ...s, timers: { ...s.timers, onStop: 'release' } })],
  ['onCarrierLoss release', (s) => ({ ...s, timers: { ...s.timers, onCarrierLoss: 'release' } })],
  // Without checks the service faults do nothing: a violation that survives this is not about fitness.
  ['no health checks', (s) => (s.checks ? withoutChecks(s) : undefined)],
  ['instant check runs', (s) => (s.checks ? { ...s, checks: { ...s.checks, runMs: 0 } } : undefined)],
]

function withoutChecks(s: Setup): Setup {
  const { checks: _checks, ...rest } = s
  return rest
}

/** The schedule up to just after `at`: later faults never happen and are dropped. */
function cut(s: Schedule, at: number): Schedule {
  const horizonMs = Math.ceil(at) + 1
  const faults = s.faults
    .filter((f) => f.at <= horizonMs && !(f.kind === 'operator' && f.at > at))
    .map((f) => ('until' in f && f.until !== undefined && f.until > horizonMs ? withoutUntil(f) : f))
  return { ...s, horizonMs, faults }
}

/** A fault lifted after the run ends lasts to the end: the same run, one number fewer. */
function withoutUntil(f: Fault): Fault {
  const { until: _until, ...rest } = f as Fault & { until?: number }
  return rest as Fault
}
