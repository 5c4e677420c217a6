import type { Failover, ThreeRunResult } from '../run-three.js'
import type { Setting } from '../settings.js'
import { summarize } from '../stats.js'
import { doubleTotals, judgeRatio, ratioOf, stepMedians } from './aggregate.js'
import type { Ratio, Target, ThreeFailover, ThreeResult } from './report.js'

/** keepalived's setting each ipfo setting is compared with in the three-node table. */
const AGAINST: Readonly<Record<string, string>> = {
  'ipfo-10ms': 'keepalived-10ms',
  'ipfo-10ms-rt': 'keepalived-10ms-rt',
  'ipfo-default': 'keepalived-default',
}

function failover(list: readonly (Failover | null)[]): ThreeFailover {
  const took = list.filter((f): f is Failover => f?.outageMs != null)
  return {
    outageMs: summarize(took.map((f) => f.outageMs!)),
    tookOver: took.length,
    steps: stepMedians(took.map((f) => f.steps)),
  }
}

/**
 * Folds each setting's three-node runs into the figures the table shows; an ipfo setting gets its
 * ratio over keepalived's at the same speed when both were run.
 */
export function aggregateThree(
  cells: readonly { setting: Setting; runs: readonly ThreeRunResult[]; errors: readonly string[] }[],
): ThreeResult[] {
  const folded = cells.map(({ setting, runs, errors }) => ({
    setting: setting.id,
    system: setting.system,
    runs,
    errors,
    first: failover(runs.map((r) => r.first)),
    second: failover(runs.map((r) => r.second)),
    doubleAnswers: doubleTotals(runs),
    returnOutageMs: summarize(runs.map((r) => r.returnOutageMs)),
    returnCensored: runs.filter((r) => r.returnCensored).length,
  }))
  const median = (id: string, which: 'first' | 'second') =>
    folded.find((r) => r.setting === id)?.[which].outageMs?.median
  return folded.map((r) => {
    const against = AGAINST[r.setting]
    if (against === undefined || !folded.some((k) => k.setting === against)) return { ...r, ratio: null }
    const of = (which: 'first' | 'second') =>
      ratioOf(which, r.setting, against, (id) => median(id, which)).value
    return { ...r, ratio: { against, first: of('first'), second: of('second') } }
  })
}

/** The ratios the three-node runs track: ipfo over keepalived, first and second failover, per pairing. */
export function threeRatios(results: readonly ThreeResult[]): Ratio[] {
  return results.flatMap((r) =>
    r.ratio
      ? (['first', 'second'] as const).map((which) => ({
          name: `three nodes: ${r.setting} / ${r.ratio!.against}, median ${which} failover outage (node death)`,
          numerator: r.setting,
          denominator: r.ratio!.against,
          value: r.ratio![which],
        }))
      : [],
  )
}

/**
 * Issue 20's targets: ipfo 10ms's median outage at most 1.0x keepalived 0.01's, for the first
 * failover and the second; zero double answers in every ipfo run, through both failovers and failback.
 */
export function threeTargets(results: readonly ThreeResult[]): Target[] {
  const ipfo = results.find((r) => r.setting === 'ipfo-10ms')?.ratio
  const ratio = (which: 'first' | 'second') =>
    ipfo ? { name: which, numerator: 'ipfo-10ms', denominator: ipfo.against, value: ipfo[which] } : undefined
  const ipfoRuns = results.filter((r) => r.system === 'ipfo')
  const doubles = ipfoRuns.reduce((n, r) => n + r.doubleAnswers.takeover + r.doubleAnswers.return, 0)
  const name = 'three nodes: zero double answers in every ipfo run'
  return [
    judgeRatio(ratio('first'), 1.0, 'three nodes: ipfo 10ms median first failover <= 1.0x keepalived 0.01'),
    judgeRatio(ratio('second'), 1.0, 'three nodes: ipfo 10ms median second failover <= 1.0x keepalived 0.01'),
    ipfoRuns.length === 0
      ? { name, met: null, detail: 'not measured in this run' }
      : {
          name,
          met: doubles === 0,
          detail: `${doubles} probes answered by two nodes or more over ${ipfoRuns.reduce((n, r) => n + r.runs.length, 0)} runs`,
        },
  ]
}
