/**
 * `npm run bench:idle` (root): what an idle ipfo pair costs, per node and per process (agent, guard,
 * helpers), against keepalived at its fastest and the Node floor beside each window (issue 23).
 * Settings are interleaved round by round, so a noisy stretch of the shared machine hits them all.
 * Writes idle-<date>.{md,json} to bench/results (or --out).
 */
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runBench, stopDaemonsAndStages, stopOnSignals, writeReport } from '../bench-cli.js'
import { SETTINGS } from '../failover/settings.js'
import { type IdleWindow, measureIdle } from './measure-idle.js'
import { type IdleReport, renderIdleMarkdown } from './report.js'

const RESULTS = fileURLToPath(new URL('../../results/', import.meta.url))
const DEFAULT_SETTINGS = ['ipfo-default', 'ipfo-10ms', 'ipfo-5ms-rt', 'keepalived-10ms']

const USAGE = `usage: npm run bench:idle -- [options]
  --rounds N      windows per setting, interleaved (default 3)
  --seconds S     length of each window (default 30)
  --settings IDS  comma-separated setting ids of bench:failover (default: ${DEFAULT_SETTINGS.join(',')})
  --out DIR       where to write idle-<date>.{md,json} (default bench/results)`

stopOnSignals(stopDaemonsAndStages, 'stopping daemons, deleting namespaces')

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      settings: { type: 'string' },
      out: { type: 'string' },
    },
  })
  const rounds = Number(values.rounds ?? 3)
  const seconds = Number(values.seconds ?? 30)
  const ids = values.settings?.split(',').map((s) => s.trim()) ?? DEFAULT_SETTINGS
  const settings = ids.map((id) => SETTINGS.find((s) => s.id === id))
  const unknown = ids.filter((_, i) => !settings[i])
  if (unknown.length > 0 || !(rounds >= 1) || !(seconds >= 1)) {
    const why =
      unknown.length > 0
        ? `unknown setting ${unknown.join(', ')}`
        : '--rounds and --seconds take numbers of at least 1'
    process.stderr.write(`${why}\n\n${USAGE}\n`)
    return 2
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:idle needs root (network namespaces)\n')
    return 2
  }
  const windows: IdleWindow[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const setting of settings) {
      process.stderr.write(`round ${round}/${rounds}: ${setting!.id}\n`)
      windows.push(await measureIdle(setting!, { seconds, startTimeoutMs: 20_000, settleMs: 10_000 }))
    }
  }
  const report: IdleReport = {
    date: new Date().toISOString(),
    host: { cores: availableParallelism(), node: process.version },
    seconds,
    windows,
  }
  await writeReport(
    values.out ?? RESULTS,
    `idle-${report.date.slice(0, 10)}`,
    report,
    renderIdleMarkdown(report),
  )
  return 0
}

runBench(main, stopDaemonsAndStages)
