import type { Fault, RunResult } from '../run-once.js'
import type { Setting } from '../settings.js'
import { quantile, summarize } from '../stats.js'
import type { FaultResult, Ratio, SteadyEntry, Target } from './report.js'

/** Folds one setting's runs of one fault into the figures the table shows. */
export function aggregate(
  setting: Setting,
  fault: Fault,
  runs: readonly RunResult[],
  errors: string[],
): FaultResult {
  const took = runs.filter((r) => r.outageMs !== null)
  const median = (xs: (number | null)[]) => {
    const known = xs.filter((x): x is number => x !== null)
    return known.length > 0 ? Math.round(quantile(known, 0.5) * 10) / 10 : null
  }
  return {
    setting: setting.id,
    system: setting.system,
    fault,
    runs,
    errors,
    outageMs: summarize(took.map((r) => r.outageMs!)),
    tookOver: took.length,
    doubleAnswers: {
      takeover: runs.reduce((n, r) => n + r.doubleAnswers.takeover, 0),
      return: runs.reduce((n, r) => n + r.doubleAnswers.return, 0),
      runsWithAny: runs.filter((r) => r.doubleAnswers.takeover + r.doubleAnswers.return > 0).length,
    },
    steps: {
      decided: median(took.map((r) => r.steps.decided)),
      added: median(took.map((r) => r.steps.added)),
      learned: median(took.map((r) => r.steps.learned)),
      answered: median(took.map((r) => r.steps.answered)),
    },
    returnOutageMs: summarize(runs.map((r) => r.returnOutageMs)),
    returnCensored: runs.filter((r) => r.returnCensored).length,
    bothHeldMs: summarize(runs.map((r) => r.bothHeldMs)),
    aKeptVip: runs.filter((r) => r.holdersBeforeReturn.includes('a')).length,
  }
}

const medianOf = (results: readonly FaultResult[], setting: string) =>
  results.find((r) => r.setting === setting && r.fault === 'node-death')?.outageMs?.median

/** The two ratios the project tracks, from the node-death medians of this same run. */
export function ratios(results: readonly FaultResult[]): Ratio[] {
  const ratio = (name: string, numerator: string, denominator: string): Ratio => {
    const n = medianOf(results, numerator)
    const d = medianOf(results, denominator)
    const value = n !== undefined && d !== undefined && d > 0 ? Math.round((n / d) * 1000) / 1000 : null
    return { name, numerator, denominator, value }
  }
  return [
    ratio('ipfo 10ms / keepalived 0.01, median outage (node death)', 'ipfo-10ms', 'keepalived-10ms'),
    ratio(
      'ipfo default / keepalived default, median outage (node death)',
      'ipfo-default',
      'keepalived-default',
    ),
  ]
}

/** ipfo's four targets, each met, missed, or not measured (null) in this run. */
export function targets(
  results: readonly FaultResult[],
  steady: readonly SteadyEntry[],
  ratioList: readonly Ratio[],
): Target[] {
  const byLimit = (ratio: Ratio | undefined, limit: number, name: string): Target =>
    ratio?.value == null
      ? { name, met: null, detail: 'not measured in this run' }
      : {
          name,
          met: ratio.value <= limit,
          detail: `${ratio.value}x (limit ${limit}x; ${ratio.value <= limit ? 'met' : `over by ${Math.round((ratio.value / limit - 1) * 1000) / 10}%`})`,
        }
  const ipfoRuns = results.filter((r) => r.system === 'ipfo')
  const doubles = ipfoRuns.reduce((n, r) => n + r.doubleAnswers.takeover + r.doubleAnswers.return, 0)
  const faults = [...new Set(ipfoRuns.map((r) => r.fault))].join(' and ')
  const stressed = steady.filter((s) => s.setting.startsWith('ipfo-') && s.stress !== undefined)
  const falseTakeovers = stressed.reduce((n, s) => n + (s.stress?.falseTakeovers ?? 0), 0)
  return [
    byLimit(ratioList[0], 1.0, 'ipfo 10ms median <= 1.0x keepalived 0.01'),
    byLimit(ratioList[1], 0.9, 'ipfo default median <= 0.9x keepalived default'),
    ipfoRuns.length === 0
      ? { name: 'zero double answers in every ipfo run', met: null, detail: 'not measured in this run' }
      : {
          name: 'zero double answers in every ipfo run',
          met: doubles === 0,
          detail: `${doubles} probes answered by both nodes over ${ipfoRuns.reduce((n, r) => n + r.runs.length, 0)} runs (${faults})`,
        },
    stressed.length === 0
      ? { name: 'zero false failovers under CPU stress', met: null, detail: 'not measured in this run' }
      : {
          name: 'zero false failovers under CPU stress',
          met: falseTakeovers === 0,
          detail: `${falseTakeovers} false takeovers (${stressed.map((s) => s.setting).join(', ')}, ${stressed[0]!.stress!.seconds} s)`,
        },
  ]
}
