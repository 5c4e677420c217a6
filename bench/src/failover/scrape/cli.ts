/**
 * `npm run bench:metrics-scrape` (issue 22: "a scrape must never delay heartbeats"): ipfo-10ms
 * beside ipfo-10ms-scraped (and ipfo-10ms-scraped-nodefault), round after round, the settings'
 * order rotated each round, idle and under `stress-ng --cpu <cores>`, steady state only. Root, Linux.
 * Writes metrics-scrape-<date>.{md,json} to bench/results (or --out).
 *
 *   npm run bench:metrics-scrape -- [--rounds 3] [--stress-seconds 60] [--cost-seconds 20]
 *     [--settings ipfo-10ms,ipfo-10ms-scraped,ipfo-10ms-scraped-nodefault] [--baseline ipfo-10ms]
 *     [--quiet PERCENT] [--out DIR] [--name SUFFIX]
 *   npm run bench:metrics-scrape -- --settings ipfo-10ms-rt,ipfo-10ms-rt-scraped --baseline ipfo-10ms-rt --name rt
 */
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runBench, stopDaemonsAndStages, stopOnSignals, writeReport } from '../../bench-cli.js'
import { describeMachine, toolVersions } from '../machine.js'
import { machineBusyPercent, waitForQuiet } from '../quiet-gate.js'
import { describeSetting, SETTINGS } from '../settings.js'
import { renderScrapeMarkdown, type ScrapeReport } from './scrape-report.js'
import { scrapeRound } from './scrape-round.js'
import { type Round, scrapeRatios, summarizeRounds } from './scrape-summary.js'

const RESULTS = fileURLToPath(new URL('../../../results/', import.meta.url))
const DEFAULT_SETTINGS = ['ipfo-10ms', 'ipfo-10ms-scraped', 'ipfo-10ms-scraped-nodefault']

stopOnSignals(stopDaemonsAndStages, 'stopping daemons, deleting namespaces')

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      'stress-seconds': { type: 'string', default: '60' },
      'cost-seconds': { type: 'string', default: '20' },
      settings: { type: 'string', default: DEFAULT_SETTINGS.join(',') },
      baseline: { type: 'string', default: 'ipfo-10ms' },
      quiet: { type: 'string', default: '0' },
      out: { type: 'string' },
      name: { type: 'string' },
    },
  })
  const ids = values.settings!.split(',').map((s) => s.trim())
  const baseline = values.baseline!
  const settings = ids.map((id) => SETTINGS.find((s) => s.id === id && s.system === 'ipfo'))
  if (settings.some((s) => s === undefined) || !ids.includes(baseline)) {
    process.stderr.write(`--settings takes ipfo settings, the --baseline (${baseline}) among them\n`)
    return 2
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:metrics-scrape needs root (network namespaces)\n')
    return 2
  }
  const opts = {
    rounds: Number(values.rounds),
    costSeconds: Number(values['cost-seconds']),
    stressSeconds: Number(values['stress-seconds']),
    stressWorkers: availableParallelism(),
    quietPercent: Number(values.quiet) > 0 ? Number(values.quiet) : undefined,
    startTimeoutMs: 20_000,
  }
  const machine = await describeMachine()
  const progress = (line: string) => process.stderr.write(`${line}\n`)
  const rounds: Round[] = []
  for (let round = 1; round <= opts.rounds; round++) {
    // Rotated each round, so none always runs first (or last, on a machine that slows down).
    const order = settings.map((_, i) => settings[(i + round - 1) % settings.length]!)
    for (const setting of order) {
      if (opts.quietPercent !== undefined)
        await waitForQuiet(opts.quietPercent, 300_000, (busy) => progress(`waiting: other work ${busy}%`))
      const busyPercentBefore = await machineBusyPercent()
      const loadAverage = Math.round(loadavg()[0]! * 100) / 100
      const base = { round, setting: setting.id, loadAverage, busyPercentBefore }
      try {
        const windows = await scrapeRound(setting, opts)
        rounds.push({ ...base, windows })
        progress(
          `${setting.id} ${round}/${opts.rounds} (other work ${busyPercentBefore}%, load ${loadAverage}): ` +
            windows
              .map(
                (w) =>
                  `${w.kind}: lag mean ${w.lag.meanMs} p99 ${w.lag.p99Ms} max ${w.lag.maxMs} ms, ` +
                  `stalls ${w.lag.loopStalls}, false takeovers ${w.falseTakeovers}, cpu ${w.cost.a.cpuPercent}/${w.cost.b.cpuPercent}%` +
                  (w.scrapes
                    ? `, scrapes ${w.scrapes.done}/${w.scrapes.failed} render p50 ${w.scrapes.renderMs?.p50} ms`
                    : ''),
              )
              .join('; '),
        )
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        rounds.push({ ...base, windows: [], error: message })
        progress(`${setting.id} ${round}/${opts.rounds} FAILED: ${message}`)
      }
    }
  }
  const summary = summarizeRounds(rounds)
  const report: ScrapeReport = {
    kind: 'ipfo-metrics-scrape-benchmark',
    date: new Date().toISOString(),
    machine: {
      ...machine,
      loadAverage: {
        start: machine.loadAverage?.start ?? 0,
        end: Math.round(loadavg()[0]! * 100) / 100,
      },
    },
    versions: await toolVersions(),
    method: {
      rounds: opts.rounds,
      costSeconds: opts.costSeconds,
      stressSeconds: opts.stressSeconds,
      stressWorkers: opts.stressWorkers,
      baseline,
      quietPercent: opts.quietPercent,
    },
    settings: settings.map((s) => ({
      id: s!.id,
      system: s!.system,
      label: s!.label,
      fastest: s!.fastest,
      params: describeSetting(s!),
    })),
    rounds,
    summary,
    ratios: scrapeRatios(summary, baseline),
  }
  const name = `metrics-scrape-${report.date.slice(0, 10)}${values.name ? `-${values.name}` : ''}`
  await writeReport(values.out ?? RESULTS, name, report, renderScrapeMarkdown(report))
  return 0
}

runBench(main, stopDaemonsAndStages)
