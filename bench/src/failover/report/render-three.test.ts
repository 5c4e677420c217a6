import { describe, expect, it } from 'vitest'
import type { Failover, ThreeRunResult } from '../run-three.js'
import { SETTINGS } from '../settings.js'
import { aggregateThree, threeRatios, threeTargets } from './aggregate-three.js'
import { renderMarkdown } from './markdown.js'
import type { Report } from './report.js'
import { renderSvg } from './svg.js'

const failover = (from: 'a' | 'b', outageMs: number | null): Failover => ({
  from,
  to: from === 'a' ? 'b' : 'c',
  outageMs,
  cutMs: 1,
  faultDelayMs: 700,
  steps: { decided: 28, added: 33, announced: 34, learned: 42, answered: outageMs },
  holdersAtFault: [from],
})

const run = (first: number | null, second: number | null, doubles = 0): ThreeRunResult => ({
  first: failover('a', first),
  second: first === null ? null : failover('b', second),
  doubleAnswers: { takeover: doubles, return: 0 },
  doubleUnicast: 0,
  holdersBeforeReturn: ['c'],
  returnOutageMs: 4,
  returnCensored: false,
  holdersAtEnd: ['a'],
  probes: { sent: 9000, answered: 8900 },
  loadAverage: 0.3,
})

const setting = (id: string) => SETTINGS.find((s) => s.id === id)!

function report(three: ThreeRunResult[][]): Report {
  const results = aggregateThree([
    { setting: setting('ipfo-10ms'), runs: three[0]!, errors: [] },
    { setting: setting('keepalived-10ms'), runs: three[1]!, errors: ['a did not come to hold the VIP'] },
  ])
  return {
    kind: 'ipfo-failover-benchmark',
    date: '2026-11-25T12:00:00.000Z',
    smoke: false,
    machine: { cpu: 'cpu', cores: 2, kernel: '6.1', os: 'Debian', node: 'v20' },
    versions: { keepalived: '2.2.7' },
    method: {
      topology: 'three',
      runs: 3,
      faults: [],
      probeEveryMs: 1,
      splitHoldMs: 1000,
      returnTimeoutMs: 20000,
      faultJitterMs: 1000,
      costSeconds: 30,
      stressSeconds: 60,
      stressNiced: false,
      quietPercent: undefined,
    },
    settings: SETTINGS.map((s) => ({
      id: s.id,
      system: s.system,
      label: s.label,
      fastest: s.fastest,
      params: {},
    })),
    results: [],
    steady: [],
    three: results,
    ratios: threeRatios(results),
    targets: threeTargets(results),
  }
}

describe('the three-node report', () => {
  const r = report([
    [run(40, 44), run(36, 50, 2), run(null, null)],
    [run(40, 40), run(44, 60)],
  ])

  it('folds each failover over the runs that took over, and divides the medians by keepalived at the same speed', () => {
    const [ipfo, keepalived] = r.three!
    expect(ipfo!.first).toMatchObject({ tookOver: 2, outageMs: { n: 2, median: 38 } })
    expect(ipfo!.second).toMatchObject({ tookOver: 2, outageMs: { n: 2, median: 47 } })
    expect(ipfo!.doubleAnswers).toEqual({ takeover: 2, return: 0, runsWithAny: 1 })
    expect(ipfo!.ratio).toEqual({ against: 'keepalived-10ms', first: 0.905, second: 0.94 })
    expect(keepalived!.ratio).toBeNull()
    expect(r.ratios.map((x) => x.value)).toEqual([0.905, 0.94])
  })

  it("judges issue 20's targets: both ratios at most 1.0x, zero double answers in ipfo's runs", () => {
    expect(r.targets.map((t) => t.met)).toEqual([true, true, false])
    expect(r.targets[2]!.detail).toBe('2 probes answered by two nodes or more over 3 runs')
    const slow = report([[run(50, 70)], [run(40, 40)]])
    expect(slow.targets.map((t) => t.met)).toEqual([false, false, true])
    expect(slow.targets[1]!.detail).toContain('over by 75%')
    expect(threeTargets([]).map((t) => t.met)).toEqual([null, null, null])
  })

  it('renders its own table instead of the pair tables, with failed attempts listed', () => {
    const md = renderMarkdown(r)
    expect(md).toContain('# Failover benchmark, three nodes: ipfo, keepalived')
    expect(md).toContain(
      '| ipfo 10ms/30ms | 3 | 2/3 | 38 | 40 | 40 | 2/3 | 47 | 50 | 50 | 2 (1 runs) | 0.905x / 0.94x (keepalived advert_int 0.01) | 4 / 4 |',
    )
    expect(md).toContain(
      '| keepalived advert_int 0.01 | 2 (+1 failed attempts) | 2/2 | 42 | 44 | 44 | 2/2 | 50 | 60 | 60 | 0 (0 runs) | - |',
    )
    expect(md).toContain('| ipfo 10ms/30ms | 28 / 33 / 34 / 42 / 38 | 28 / 33 / 34 / 42 / 47 |')
    expect(md).toContain('- met: three nodes: ipfo 10ms median first failover <= 1.0x keepalived 0.01')
    expect(md).toContain('- keepalived-10ms three nodes: a did not come to hold the VIP')
    expect(md).not.toContain('## both links cut')
    expect(md).not.toContain('## Idle cost')
  })

  it('plots both failovers, one dot per run that took over', () => {
    const svg = renderSvg(r)
    expect(svg).toContain("three nodes, first failover: a's death, b takes over")
    expect(svg).toContain("three nodes, second failover: then b's, c takes over")
    expect(svg.match(/<circle /g)).toHaveLength(8)
    expect(svg).toContain('(1 no takeover)')
  })
})
