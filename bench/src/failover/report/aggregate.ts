import { parseDuration } from '@ipfo/core'
import type { Fault } from '../faults.js'
import type { RunResult } from '../run-once.js'
import type { Setting } from '../settings.js'
import { quantile, roundMs, summarize } from '../stats.js'
import type { TakeoverSteps } from '../takeover-steps.js'
import type { FaultResult, QuorumTotals, Ratio, SteadyEntry, Target } from './report.js'

/** Folds one setting's runs of one fault into the figures the table shows. */
export function aggregate(
  setting: Setting,
  fault: Fault,
  runs: readonly RunResult[],
  errors: string[],
): FaultResult {
  const took = runs.filter((r) => r.outageMs !== null)
  return {
    setting: setting.id,
    system: setting.system,
    fault,
    runs,
    errors,
    outageMs: summarize(took.map((r) => r.outageMs!)),
    tookOver: took.length,
    doubleAnswers: doubleTotals(runs),
    steps: stepMedians(took.map((r) => r.steps)),
    returnOutageMs: summarize(runs.map((r) => r.returnOutageMs)),
    returnCensored: runs.filter((r) => r.returnCensored).length,
    bothHeldMs: summarize(runs.map((r) => r.bothHeldMs)),
    aKeptVip: runs.filter((r) => r.holdersBeforeReturn.includes('a')).length,
    handover: {
      droppedMs: medianOf(runs.map((r) => r.handover.droppedMs)),
      addedMs: medianOf(runs.map((r) => r.handover.addedMs)),
      gapMs: medianOf(runs.map((r) => r.handover.gapMs)),
    },
    ...(setting.system === 'ipfo' && setting.quorum ? { quorum: quorumTotals(setting.quorum, runs) } : {}),
  }
}

function quorumTotals(quorum: { readonly leaseTtl: string }, runs: readonly RunResult[]): QuorumTotals {
  const elections = runs.map((r) => r.quorum?.elections ?? null)
  const ttl = parseDuration(quorum.leaseTtl)
  if (!ttl.ok) throw new Error(`leaseTtl ${quorum.leaseTtl}: ${ttl.reason}`)
  return {
    leaseTtlMs: ttl.ms,
    elections: elections.includes(null) ? null : elections.reduce<number>((n, e) => n + e!, 0),
    lapses: runs.reduce((n, r) => n + (r.quorum?.lapses ?? 0), 0),
  }
}

/** The median of the known values (to 0.1 ms); null when none is known. */
function medianOf(xs: readonly (number | null)[]): number | null {
  const known = xs.filter((x): x is number => x !== null)
  return known.length > 0 ? Math.round(quantile(known, 0.5) * 10) / 10 : null
}

/** Broadcast probes answered by two nodes or more, summed over the runs, and the runs with any. */
export function doubleTotals(
  runs: readonly { readonly doubleAnswers: { readonly takeover: number; readonly return: number } }[],
): FaultResult['doubleAnswers'] {
  return {
    takeover: runs.reduce((n, r) => n + r.doubleAnswers.takeover, 0),
    return: runs.reduce((n, r) => n + r.doubleAnswers.return, 0),
    runsWithAny: runs.filter((r) => r.doubleAnswers.takeover + r.doubleAnswers.return > 0).length,
  }
}

/** The median of each takeover step over the runs that observed it. */
export function stepMedians(steps: readonly TakeoverSteps[]): FaultResult['steps'] {
  const median = medianOf
  return {
    decided: median(steps.map((s) => s.decided)),
    added: median(steps.map((s) => s.added)),
    announced: median(steps.map((s) => s.announced)),
    learned: median(steps.map((s) => s.learned)),
    answered: median(steps.map((s) => s.answered)),
  }
}

/** numerator / denominator of two medians (to 3 decimals); null when either is missing or 0. */
export function ratioOf(
  name: string,
  numerator: string,
  denominator: string,
  median: (id: string) => number | undefined,
): Ratio {
  const n = median(numerator)
  const d = median(denominator)
  const value = n !== undefined && d !== undefined && d > 0 ? Math.round((n / d) * 1000) / 1000 : null
  return { name, numerator, denominator, value }
}

/** A ratio judged against its limit: met, missed (by how much), or not measured. */
export function judgeRatio(ratio: Ratio | undefined, limit: number, name: string): Target {
  return ratio?.value == null
    ? { name, met: null, detail: 'not measured in this run' }
    : {
        name,
        met: ratio.value <= limit,
        detail: `${ratio.value}x (limit ${limit}x; ${ratio.value <= limit ? 'met' : `over by ${Math.round((ratio.value / limit - 1) * 1000) / 10}%`})`,
      }
}

/** The ratios the project tracks, from the medians of this same run. */
export function ratios(results: readonly FaultResult[]): Ratio[] {
  const ratio = (name: string, numerator: string, denominator: string, fault: Fault = 'node-death') =>
    ratioOf(
      name,
      numerator,
      denominator,
      (id) => results.find((r) => r.setting === id && r.fault === fault)?.outageMs?.median,
    )
  return [
    ratio('ipfo 10ms / keepalived 0.01, median outage (node death)', 'ipfo-10ms', 'keepalived-10ms'),
    ratio(
      'ipfo default / keepalived default, median outage (node death)',
      'ipfo-default',
      'keepalived-default',
    ),
    ratio(
      'ipfo default / keepalived default, median outage (daemon crash)',
      'ipfo-default',
      'keepalived-default',
      'daemon-crash',
    ),
    ratio(
      'ipfo default / keepalived default, median outage (service death)',
      'ipfo-default',
      'keepalived-default',
      'service-death',
    ),
    ratio(
      'ipfo 10ms / keepalived 0.01, median outage (service death)',
      'ipfo-10ms',
      'keepalived-10ms',
      'service-death',
    ),
    // Issue 23: the 5 ms profile against keepalived's fastest, and against it at the same priority.
    ratio(
      'ipfo 5ms (SCHED_FIFO) / keepalived 0.01, median outage (node death)',
      'ipfo-5ms-rt',
      'keepalived-10ms',
    ),
    ratio(
      'ipfo 5ms (SCHED_FIFO) / keepalived 0.01 (SCHED_FIFO), median outage (node death)',
      'ipfo-5ms-rt',
      'keepalived-10ms-rt',
    ),
  ]
}

/**
 * Issue 23: from one takeover step to a later one (by default the taker's decision to the client's
 * first answer from it), per node-death run of the setting (both steps seen), median; null when no
 * run saw both.
 */
export function takeoverPathMs(
  results: readonly FaultResult[],
  setting: string,
  from: keyof TakeoverSteps = 'decided',
  to: keyof TakeoverSteps = 'answered',
): number | null {
  const runs = results.find((r) => r.setting === setting && r.fault === 'node-death')?.runs ?? []
  const paths = runs.flatMap((r) => {
    const start = r.steps[from]
    const end = r.steps[to]
    return start !== null && end !== null ? [roundMs(end - start)] : []
  })
  return medianOf(paths)
}

/**
 * The takeover path's target: at most 2 ms median at ipfo's fast settings (10 ms, and 5 ms). The
 * detail also gives the daemon's part alone: its decision to its first gratuitous ARP on the client's
 * cable (kernel-stamped); the rest is the client and the service getting a core on this host.
 */
function takeoverPathTarget(results: readonly FaultResult[]): Target {
  const name = 'takeover path (decided to answered) <= 2 ms median, ipfo 10ms and 5ms'
  const measured = ['ipfo-10ms', 'ipfo-5ms-rt'].flatMap((id) => {
    const ms = takeoverPathMs(results, id)
    return ms === null ? [] : [{ id, ms, announced: takeoverPathMs(results, id, 'decided', 'announced') }]
  })
  return measured.length === 0
    ? { name, met: null, detail: 'not measured in this run' }
    : {
        name,
        met: measured.every((m) => m.ms <= 2),
        detail: measured
          .map(
            (m) =>
              `${m.id} ${m.ms} ms${m.announced === null ? '' : ` (decided to announced on the wire ${m.announced} ms)`}`,
          )
          .join(', '),
      }
}

/** ipfo's targets, each met, missed, or not measured (null) in this run. */
export function targets(
  results: readonly FaultResult[],
  steady: readonly SteadyEntry[],
  ratioList: readonly Ratio[],
): Target[] {
  // A partition is the split brain a pair cannot tell from a death: only quorum is judged through it.
  const ipfoRuns = results.filter((r) => r.system === 'ipfo' && (r.fault !== 'partition' || r.quorum))
  const pairPartitions = results.some((r) => r.system === 'ipfo' && r.fault === 'partition' && !r.quorum)
  const doubles = ipfoRuns.reduce((n, r) => n + r.doubleAnswers.takeover + r.doubleAnswers.return, 0)
  const faults = [...new Set(ipfoRuns.map((r) => r.fault))].join(' and ')
  const stressed = steady.filter((s) => s.setting.startsWith('ipfo-') && (s.stress?.length ?? 0) > 0)
  const windows = stressed.flatMap((s) => s.stress ?? [])
  const falseTakeovers = windows.reduce((n, w) => n + w.falseTakeovers, 0)
  const workers = [...new Set(windows.map((w) => w.workers))].map((n) => `--cpu ${n}`).join(' and ')
  return [
    judgeRatio(ratioList[0], 1.0, 'ipfo 10ms median <= 1.0x keepalived 0.01'),
    judgeRatio(ratioList[1], 0.9, 'ipfo default median <= 0.9x keepalived default'),
    ipfoRuns.length === 0
      ? { name: 'zero double answers in every ipfo run', met: null, detail: 'not measured in this run' }
      : {
          name: 'zero double answers in every ipfo run',
          met: doubles === 0,
          detail:
            `${doubles} probes answered by both nodes over ${ipfoRuns.reduce((n, r) => n + r.runs.length, 0)} runs (${faults})` +
            (pairPartitions
              ? '; the partition of ipfo without quorum is not judged (a split brain by design)'
              : ''),
        },
    judgeRatio(ratioList[2], 0.05, 'daemon crash: ipfo default median <= 0.05x keepalived default'),
    bothHeldTarget(ipfoRuns.filter((r) => r.fault === 'daemon-crash')),
    // Issue 19: the healthy node answers the client at most 0.25x as long after the service's death.
    // Judged at the defaults: against keepalived 0.01 the ratio is shown, not judged, since there both
    // are bound by their checks' cadence (ipfo's second failed run 100-200 ms after the death, fall 2;
    // keepalived's script 0-1 s after it, fall 1: about 0.35x by construction).
    judgeRatio(ratioList[3], 0.25, 'service death: ipfo default median <= 0.25x keepalived default'),
    stressed.length === 0
      ? { name: 'zero false failovers under CPU stress', met: null, detail: 'not measured in this run' }
      : {
          name: 'zero false failovers under CPU stress',
          met: falseTakeovers === 0,
          detail: `${falseTakeovers} false takeovers (${stressed.map((s) => s.setting).join(', ')}; ${windows[0]!.seconds} s of stress-ng ${workers})`,
        },
    // Issue 23: the 5 ms profile, and the takeover's path after the decision.
    judgeRatio(ratioList[5], 0.6, 'ipfo 5ms (SCHED_FIFO) median <= 0.6x keepalived 0.01'),
    takeoverPathTarget(results),
    ...quorumTargets(results),
  ]
}

/**
 * Issue 21: with quorum on etcd, zero double answers in every run (the partition included, where a
 * pair and keepalived answer twice), and a dead holder's VIP answered from b within leaseTtl + 500 ms
 * in every run (etcd expires a lease up to 500 ms late: its lessor looks every 500 ms).
 */
export function quorumTargets(results: readonly FaultResult[]): Target[] {
  const quorum = results.filter((r) => r.quorum !== undefined)
  const doublesName = 'quorum on etcd: zero double answers in every run, the partition included'
  const deathName = 'quorum on etcd: node death within leaseTtl + 500 ms in every run'
  if (quorum.length === 0)
    return [doublesName, deathName].map((name) => ({ name, met: null, detail: 'not measured in this run' }))
  const runs = quorum.flatMap((r) => r.runs)
  const withDoubles = runs.filter((r) => r.doubleAnswers.takeover + r.doubleAnswers.return > 0).length
  const doubles = runs.reduce((n, r) => n + r.doubleAnswers.takeover + r.doubleAnswers.return, 0)
  const deaths = quorum.filter((r) => r.fault === 'node-death')
  const deathRuns = deaths.flatMap((r) => r.runs.map((run) => ({ run, limit: r.quorum!.leaseTtlMs + 500 })))
  const late = deathRuns.filter(({ run, limit }) => run.outageMs === null || run.outageMs > limit)
  const outages = deathRuns.flatMap(({ run }) => (run.outageMs === null ? [] : [run.outageMs]))
  return [
    {
      name: doublesName,
      met: doubles === 0,
      detail: `${doubles} probes answered by both nodes over ${runs.length} runs (${withDoubles} runs with any; ${[...new Set(quorum.map((r) => r.fault))].join(' and ')})`,
    },
    deathRuns.length === 0
      ? { name: deathName, met: null, detail: 'not measured in this run' }
      : {
          name: deathName,
          met: late.length === 0,
          detail:
            `${late.length} of ${deathRuns.length} runs over leaseTtl + 500 ms = ${[...new Set(deathRuns.map((d) => d.limit))].join(', ')} ms` +
            ` (median ${Math.round(quantile(outages, 0.5) * 10) / 10} ms, max ${Math.max(...outages)} ms; ${deaths.map((r) => r.setting).join(', ')})`,
        },
  ]
}

/** After a crash of the daemon alone, the VIP must never be on both nodes: ms of both holding, summed. */
function bothHeldTarget(crashes: readonly FaultResult[]): Target {
  const name = 'daemon crash: zero ms with the VIP on both nodes in every ipfo run'
  const runs = crashes.flatMap((r) => r.runs)
  if (runs.length === 0) return { name, met: null, detail: 'not measured in this run' }
  const total = Math.round(runs.reduce((n, r) => n + r.bothHeldMs, 0) * 10) / 10
  const worst = Math.max(...runs.map((r) => r.bothHeldMs))
  return {
    name,
    met: total === 0,
    detail: `${total} ms over ${runs.length} runs (worst run ${worst} ms; ${crashes.map((r) => r.setting).join(', ')})`,
  }
}
