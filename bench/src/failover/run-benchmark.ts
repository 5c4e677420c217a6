import { loadavg } from 'node:os'
import { attempt, type Progress, quiet } from './attempts.js'
import type { Fault } from './faults.js'
import { describeMachine, toolVersions } from './machine.js'
import type { BenchOptions } from './options.js'
import { aggregate, ratios, targets } from './report/aggregate.js'
import type { Report, SteadyEntry, TopologyResults } from './report/report.js'
import { type RunResult, runOnce } from './run-once.js'
import { runThreeNodes } from './run-three-nodes.js'
import { describeSetting, getsStress, runsFault } from './settings.js'
import { steadyState } from './steady-state.js'

/** The whole benchmark: the pair's faults and steady state, or the three-node runs (--topology three). */
export async function runBenchmark(opts: BenchOptions, progress: Progress): Promise<Report> {
  const machine = await describeMachine()
  const versions = await toolVersions()
  const three = opts.topology === 'three'
  const results = three ? await runThreeNodes(opts, progress) : await runPair(opts, progress)
  return {
    kind: 'ipfo-failover-benchmark',
    date: new Date().toISOString(),
    smoke: opts.smoke,
    machine: { ...machine, loadAverage: { start: machine.loadAverage?.start ?? 0, end: loadavg()[0]! } },
    versions,
    method: {
      ...(three ? { topology: opts.topology } : {}),
      runs: opts.runs,
      faults: opts.faults,
      probeEveryMs: opts.probeEveryMs,
      splitHoldMs: opts.splitHoldMs,
      returnTimeoutMs: opts.returnTimeoutMs,
      faultJitterMs: opts.faultJitterMs,
      costSeconds: opts.costSeconds,
      stressSeconds: opts.stressSeconds,
      stressWorkers: opts.stressWorkers,
      stressNiced: opts.stressNiced,
      quietPercent: opts.quietPercent,
    },
    settings: opts.settings.map((s) => ({
      id: s.id,
      system: s.system,
      label: s.label,
      fastest: s.fastest,
      params: describeSetting(s, three),
    })),
    ...results,
  }
}

/**
 * The pair's runs. They go round-robin over settings and faults (run 1 of each, then run 2 of
 * each, ...) so a machine that slows down over the hour does not favour whichever system ran
 * first (ucarp skips service death: it has no health checks; steady-only settings skip every
 * fault). Then each setting's idle cost, and CPU stress for each system's fastest setting and the
 * settings that ask for it.
 */
async function runPair(opts: BenchOptions, progress: Progress): Promise<TopologyResults> {
  const cells = opts.settings.flatMap((setting) =>
    opts.faults.filter((fault) => runsFault(setting, fault)).map((fault) => ({ setting, fault })),
  )
  const runs = new Map<string, RunResult[]>(cells.map((c) => [key(c.setting.id, c.fault), []]))
  const errors = new Map<string, string[]>(cells.map((c) => [key(c.setting.id, c.fault), []]))

  for (let i = 0; i < opts.runs; i++) {
    for (const { setting, fault } of cells) {
      const k = key(setting.id, fault)
      const label = `${setting.id} ${fault} ${i + 1}/${opts.runs}`
      const busy = await quiet(opts, progress)
      const result = await attempt(label, () => runOnce(setting, fault, opts), errors.get(k)!, progress)
      if (!result) continue
      runs.get(k)!.push(busy === undefined ? result : { ...result, backgroundBusyPercent: busy })
      progress(
        `${label}: outage ${result.outageMs ?? 'none (no takeover)'} ms, ` +
          `double answers ${result.doubleAnswers.takeover + result.doubleAnswers.return}, ` +
          `return outage ${result.returnOutageMs} ms${result.returnCensored ? ' (unsettled)' : ''}`,
      )
    }
  }

  const steady: SteadyEntry[] = []
  for (const setting of opts.settings) {
    const stressSeconds = getsStress(setting) ? opts.stressSeconds : 0
    const failed: string[] = []
    const result = await attempt(
      setting.id,
      () => steadyState(setting, { ...opts, stressSeconds }),
      failed,
      progress,
    )
    if (!result) {
      steady.push({ setting: setting.id, error: failed.join('\n') })
      continue
    }
    steady.push({ setting: setting.id, ...result, ...(failed.length > 0 ? { failedAttempts: failed } : {}) })
    progress(
      `${setting.id} idle: a ${result.cost.a.cpuPercent}% ${result.cost.a.rssMb} MB, b ${result.cost.b.cpuPercent}% ${result.cost.b.rssMb} MB` +
        result.stress
          .map((w) => `; under stress-ng --cpu ${w.workers}: ${w.falseTakeovers} false takeovers`)
          .join(''),
    )
  }

  const results = cells.map(({ setting, fault }) =>
    aggregate(setting, fault, runs.get(key(setting.id, fault))!, errors.get(key(setting.id, fault))!),
  )
  const ratioList = ratios(results)
  return { results, steady, ratios: ratioList, targets: targets(results, steady, ratioList) }
}

const key = (setting: string, fault: Fault) => `${setting}/${fault}`
