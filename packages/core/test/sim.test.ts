import { describe, expect, it } from 'vitest'
import { generate } from './sim/generate.js'
import { loadRegressions } from './sim/regressions.js'
import { runScenario } from './sim/run-scenario.js'
import type { Fault, Schedule } from './sim/schedule.js'

/**
 * The deterministic simulator (test/sim/, `npm run sim`): seeded scenarios on the real engines in
 * simulated time, every schedule it ever found replayed, and proof that its checks can fail.
 */

/** Seeds run on every `npm test`; `npm run sim -- --scenarios 100000` is the long run. */
const SEEDS = 300
/** Short scenarios: the long ones live in `npm run sim`. */
const SHORT = { maxSimMs: 30_000, maxBeats: 100 }

describe('the simulator', () => {
  it(`runs ${SEEDS} seeded scenarios without breaking an invariant`, async () => {
    const broken: string[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = await runScenario(generate(seed, SHORT))
      if (result.violation)
        broken.push(`seed ${seed}: ${result.violation.invariant}: ${result.violation.message}`)
    }
    expect(broken).toEqual([])
  }, 120_000)

  it('gives one trace per seed', async () => {
    for (const seed of [3, 11, 42]) {
      const schedule = generate(seed, SHORT)
      const first = await runScenario(schedule)
      const again = await runScenario(schedule)
      expect(again.traceHash).toBe(first.traceHash)
      expect(again.events).toBe(first.events)
      expect(first.events).toBeGreaterThan(100)
    }
  })

  describe('catches a planted violation', () => {
    it.each([
      ['an address added behind the engine: two holders', tamper('add', 'b'), 'two-holders'],
      ['an address removed behind the engine: unheld', tamper('remove', 'a'), 'unheld'],
      ['a hook run outside any checklist', tamper('hook', 'a'), 'hook-order'],
      ['an error event', tamper('error', 'b'), 'engine-error'],
    ] as const)('%s', async (_name, fault, invariant) => {
      const clean = await runScenario(quietPair([]))
      expect(clean.violation).toBeUndefined()
      const result = await runScenario(quietPair([fault]))
      expect(result.violation?.invariant).toBe(invariant)
    })
  })

  describe('replays every schedule it found (test/sim/regressions)', () => {
    const regressions = loadRegressions()
    it.each(regressions.map((r) => [r.file, r.regression] as const))('%s', async (_file, regression) => {
      const result = await runScenario(regression.schedule)
      if (regression.status === 'fixed') expect(result.violation).toBeUndefined()
      // Still open: the replay must still show it, until the engine is fixed and the file says so.
      else expect(result.violation?.invariant).toBe(regression.invariant)
    })
  })
})

/** a owns 10.0.0.100 and b watches it, shipped timers, nothing going wrong for a minute. */
function quietPair(faults: Fault[]): Schedule {
  const base = generate(1, { mode: 'defaults' })
  return {
    ...base,
    horizonMs: 60_000,
    setup: {
      ...base.setup,
      links: ['private', 'public'],
      timers: {
        ...base.setup.timers,
        policy: 'auto',
        arbitration: false,
        onStop: 'release',
        onCarrierLoss: 'release',
      },
      nodes: [
        { id: 'a', owns: ['10.0.0.100/24'], watches: [], clockRate: 1, wallOffsetMs: 0, startAt: 0 },
        { id: 'b', owns: [], watches: ['a'], clockRate: 1, wallOffsetMs: 0, startAt: 0 },
      ],
    },
    faults,
  }
}

function tamper(action: 'add' | 'remove' | 'hook' | 'error', node: string): Fault {
  return { kind: 'tamper', at: 20_000, node, action, address: '10.0.0.100/24' }
}
