import { describe, expect, it } from 'vitest'
import type { IpfoEvent } from '../src/model/events.js'
import { AgentContext } from './sim/agent-context.js'
import { generate } from './sim/generate.js'
import { CheckRuns, healthPort, Service } from './sim/health-port.js'
import { Prng } from './sim/prng.js'
import { RefusalPace } from './sim/refusal-pace.js'
import { loadRegressions } from './sim/regressions.js'
import { runScenario } from './sim/run-scenario.js'
import type { CheckSetup, Fault, Schedule } from './sim/schedule.js'
import { Scheduler } from './sim/scheduler.js'

/**
 * The deterministic simulator (test/sim/, `npm run sim`): seeded scenarios on the real engines in
 * simulated time, every schedule it ever found replayed, and proof that its checks can fail.
 */

/**
 * Seeds run on every `npm test`: pairs, and clusters of three to five nodes with orders of takers
 * (issue 20; a cluster costs about four pairs). `npm run sim -- --scenarios 100000` is the long run.
 */
const SEEDS = 240
const CLUSTER_SEEDS = 20
/** Short scenarios: the long ones live in `npm run sim`. */
const SHORT = { maxSimMs: 30_000, maxBeats: 100 }

describe('the simulator', () => {
  it.each([
    ['pair', SEEDS],
    ['many', CLUSTER_SEEDS],
  ] as const)(
    'runs seeded scenarios (nodes: %s, %i seeds) without breaking an invariant',
    async (nodes, count) => {
      const broken: string[] = []
      for (let seed = 1; seed <= count; seed++) {
        const result = await runScenario(generate(seed, { ...SHORT, nodes }))
        if (result.violation)
          broken.push(`seed ${seed}: ${result.violation.invariant}: ${result.violation.message}`)
      }
      expect(broken).toEqual([])
    },
    120_000,
  )

  it('gives one trace per seed', async () => {
    for (const [seed, nodes] of [
      [3, 'pair'],
      [11, 'pair'],
      [42, 'pair'],
      [7, 'many'],
    ] as const) {
      const schedule = generate(seed, { ...SHORT, nodes })
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

  describe('three nodes and more (issue 20): the invariants through a relay', () => {
    // a owns the address, b then c take it over, d is a spare; a dies at 10 s (b takes over) and b and
    // c lose their link at 5 s: they hear each other only through d.
    const relayed: Fault[] = [
      { kind: 'sever', at: 5_000, between: ['b', 'c'] },
      { kind: 'crash', at: 10_000, node: 'a', wipe: true },
    ]
    it('catches two holders that hear each other only through a third node (two-holders)', async () => {
      const clean = await runScenario(quietFour(relayed))
      expect(clean.violation).toBeUndefined()
      const result = await runScenario(quietFour([...relayed, tamper('add', 'c')]))
      expect(result.violation?.invariant).toBe('two-holders')
      expect(result.violation?.message).toContain('through a relay')
      // Without the relay they cannot hear each other: two holders are no violation.
      const apart = await runScenario(
        quietFour([...relayed, { kind: 'crash', at: 12_000, node: 'd', wipe: true }, tamper('add', 'c')]),
      )
      expect(apart.violation).toBeUndefined()
    })

    it('catches an address left unheld while the next taker hears nothing of the nodes ahead (unheld)', async () => {
      const result = await runScenario(quietFour([...relayed, tamper('remove', 'b')]))
      expect(result.violation?.invariant).toBe('unheld')
    })
  })

  describe('health checks (issue 19): service faults reach the machine', () => {
    it('a service death moves the VIP to the fit peer, and auto failback brings it back', async () => {
      const lines = await traceOf(quietPair([{ kind: 'service', at: 20_000, until: 40_000, node: 'a' }], WEB))
      const first = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l))
      const failed = first(/ a {2}check-failed check=web/)
      const unfit = first(/ a {2}unfit owner=a addresses=10\.0\.0\.100\/24 checks=web/)
      const taken = first(/ b {2}has 10\.0\.0\.100\/24/)
      const recovered = first(/ a {2}check-recovered check=web/)
      expect(failed).toBeGreaterThan(0)
      expect(unfit).toBeGreaterThan(failed)
      expect(taken).toBeGreaterThan(unfit)
      expect(recovered).toBeGreaterThan(taken)
      expect(lines.slice(recovered).some((l) => / a {2}has 10\.0\.0\.100\/24/.test(l))).toBe(true)
      expect(lines.at(-1)).not.toContain('!!')
    })

    it('a flapping service and runs slower than the interval keep every invariant', async () => {
      const lines = await traceOf(
        quietPair(
          [
            { kind: 'flap', at: 10_000, until: 20_000, node: 'a', periodMs: 150 },
            { kind: 'slow-check', at: 25_000, until: 35_000, node: 'a', runMs: 250 },
          ],
          WEB,
        ),
      )
      expect(lines.filter((l) => / a {2}service (up|down)/.test(l)).length).toBeGreaterThan(60)
      // Runs of 250 ms time out (timeout 100 ms): the check fails while the service answers.
      const slow = lines.findIndex((l) => / a {2}check runs take 250 ms/.test(l))
      expect(slow).toBeGreaterThan(0)
      expect(lines.slice(slow).some((l) => / a {2}check-failed check=web/.test(l))).toBe(true)
      expect(lines.at(-1)).not.toContain('!!')
    })

    it('catches the VIP left on an unfit node while a fit one could hold it (fit-holder)', async () => {
      const moved: Fault[] = [
        { kind: 'service', at: 10_000, node: 'b' },
        tamper('remove', 'a'),
        tamper('add', 'b'),
      ]
      const clean = await runScenario(quietPair(moved.slice(0, 1), WEB))
      expect(clean.violation).toBeUndefined()
      const result = await runScenario(quietPair(moved, WEB))
      expect(result.violation?.invariant).toBe('fit-holder')
    })
  })

  it('catches a run of a check started while the last one runs (check-runs)', () => {
    const scheduler = new Scheduler()
    const runs = new CheckRuns()
    const port = healthPort(new AgentContext('a', 1, scheduler, () => 1), {
      check: WEB,
      service: new Service(scheduler, WEB, () => undefined),
      rng: new Prng(1),
      runs,
    })
    void port.run('web')
    expect(runs.violation).toBeUndefined()
    void port.run('web')
    expect(runs.violation?.invariant).toBe('check-runs')
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
describe('refusal-pace: a checklist that changed nothing is not asked again before its retry time', () => {
  const setup = () => quietPair([]).setup
  const refused: IpfoEvent = {
    time: 0,
    kind: 'notification-only',
    owner: 'a',
    action: 'acquire',
    addresses: [],
    reason: 'Test',
  }
  const takeover: IpfoEvent = {
    time: 0,
    kind: 'acquiring',
    owner: 'a',
    addresses: [],
    reason: 'peer a lost',
    cause: 'peer-lost',
  }

  it('catches one asked again at once, not one asked after retryAfter or after a change of liveness', () => {
    const atOnce = new RefusalPace(setup(), 1)
    atOnce.event('b', refused, 1_000)
    atOnce.event('b', takeover, 1_043)
    expect(atOnce.violation?.invariant).toBe('refusal-pace')

    const later = new RefusalPace(setup(), 1)
    later.event('b', refused, 1_000)
    later.event('b', takeover, 6_001)
    expect(later.violation).toBeUndefined()

    const changed = new RefusalPace(setup(), 1)
    changed.event('b', refused, 1_000)
    changed.event('b', { time: 0, kind: 'peer-restored', peer: 'a', incarnation: 2, restarted: true }, 1_020)
    changed.event('b', takeover, 1_043)
    changed.agentEnded('c')
    expect(changed.violation).toBeUndefined()

    // Lost again while Test ran: the loss it asked about changed, so it is asked again at once.
    const during = new RefusalPace(setup(), 1)
    during.event('b', takeover, 900)
    during.event('b', { time: 0, kind: 'peer-lost', peer: 'a', silentForMs: 0, links: [] }, 950)
    during.event('b', refused, 1_000)
    during.event('b', takeover, 1_008)
    expect(during.violation).toBeUndefined()

    const asked = new RefusalPace(setup(), 1)
    asked.event('b', refused, 1_000)
    asked.event(
      'b',
      { ...takeover, kind: 'acquiring', reason: 'operator takeover', cause: 'operator' },
      1_043,
    )
    expect(asked.violation).toBeUndefined()
  })
})

function quietPair(faults: Fault[], checks?: CheckSetup): Schedule {
  const base = generate(1, { mode: 'defaults', checks: false, nodes: 'pair' })
  return {
    ...base,
    horizonMs: 60_000,
    setup: {
      ...base.setup,
      ...(checks ? { checks } : {}),
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

/** As `quietPair`, with four nodes: a owns 10.0.0.100, b then c take it over, d is a spare. */
function quietFour(faults: Fault[]): Schedule {
  const pair = quietPair(faults)
  const node = (id: string, owns: string[], takers?: string[]) => ({
    id,
    owns,
    ...(takers ? { takers } : {}),
    watches: id === 'b' || id === 'c' ? ['a'] : [],
    clockRate: 1,
    wallOffsetMs: 0,
    startAt: 0,
  })
  return {
    ...pair,
    setup: {
      ...pair.setup,
      nodes: [node('a', ['10.0.0.100/24'], ['b', 'c']), node('b', []), node('c', []), node('d', [])],
    },
  }
}

function tamper(action: 'add' | 'remove' | 'hook' | 'error', node: string): Fault {
  return { kind: 'tamper', at: 20_000, node, action, address: '10.0.0.100/24' }
}

/** One check, `web`, every 100 ms, failing after 2 bad runs and passing after 2 good ones. */
const WEB: CheckSetup = {
  intervalMs: 100,
  timeoutMs: 100,
  fall: 2,
  rise: 2,
  initial: 'passing',
  onAllUnfit: 'keep',
  runMs: 2,
}

async function traceOf(schedule: Schedule): Promise<string[]> {
  const lines: string[] = []
  await runScenario(schedule, { keepTrace: 0, echo: (l) => lines.push(l) })
  return lines
}
