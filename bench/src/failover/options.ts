import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { FAULTS, type Fault } from './faults.js'
import type { RunOptions } from './run-once.js'
import { runsThree, SETTINGS, type Setting } from './settings.js'
import type { TopologyName } from './stage.js'

export interface BenchOptions extends RunOptions {
  readonly smoke: boolean
  /** pair: every fault on nodes a and b; three: a's death, then b's, on nodes a, b and c (issue 20). */
  readonly topology: TopologyName
  readonly runs: number
  readonly settings: readonly Setting[]
  readonly faults: readonly Fault[]
  readonly costSeconds: number
  readonly stressSeconds: number
  /** One stress window per count of stress-ng workers, each of stressSeconds. */
  readonly stressWorkers: readonly number[]
  readonly stressNiced: boolean
  /** Where the results go; undefined: bench/results (a fresh temp dir for --smoke). */
  readonly out: string | undefined
  /** Before each run, wait (up to quietWaitMs) until other work keeps at most this % of the CPU busy. */
  readonly quietPercent: number | undefined
  readonly quietWaitMs: number
}

export const USAGE = `npm run bench:failover -- [flags]

  --runs N             runs per setting and fault (default 20)
  --stress-seconds S   CPU stress window for the false-failover count (default 60; 0 skips it)
  --stress-workers N   comma-separated stress-ng --cpu counts, one window each (default: the
                       cores, then four workers a core: ${defaultWorkers().join(',')} here)
  --cost-seconds S     idle window for CPU and RSS (default 30)
  --settings IDS       comma-separated setting ids (default: all): ${SETTINGS.map((s) => s.id).join(', ')}
  --faults F           node-death,link-cut,daemon-crash,service-death,partition (default: all
                       five; ucarp skips service-death, having no health checks, and partition,
                       its adverts passing below IP filtering); none: the idle and stress
                       windows only
  --topology T         pair (default): nodes a and b, the faults above, idle and stress windows;
                       three: nodes a, b and c, ipfo and keepalived fault settings only (default
                       the fastest: ipfo-10ms, keepalived-10ms): a dies and b takes over, then b
                       dies and c takes over; no --faults, no idle or stress windows
  --out DIR            write the results here (default bench/results; a temp dir with --smoke)
  --quiet PERCENT      before each run, wait up to 5 min until other work uses at most PERCENT of
                       the CPU (default 20; 0 turns the wait off; off with --smoke)
  --smoke              1 run of each system's fastest setting, short windows: the CI check`

/** Parses the command line; throws with the usage text on a bad flag. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string' },
      'stress-seconds': { type: 'string' },
      'stress-workers': { type: 'string' },
      'cost-seconds': { type: 'string' },
      settings: { type: 'string' },
      faults: { type: 'string' },
      topology: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) throw new Error(USAGE)
  const smoke = values.smoke === true
  const number = (flag: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback
    const n = Number(text)
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} must be a number >= ${min}\n\n${USAGE}`)
    return n
  }
  const ids = values.settings?.split(',').map((s) => s.trim())
  const unknown = ids?.filter((id) => !SETTINGS.some((s) => s.id === id)) ?? []
  if (unknown.length > 0) throw new Error(`unknown setting ${unknown.join(', ')}\n\n${USAGE}`)
  const faults = (
    values.faults === 'none' ? [] : (values.faults?.split(',').map((f) => f.trim()) ?? FAULTS)
  ) as Fault[]
  if (faults.some((f) => !FAULTS.includes(f)))
    throw new Error(`--faults takes ${FAULTS.join(', ')} or none\n\n${USAGE}`)
  const topology = values.topology ?? 'pair'
  if (topology !== 'pair' && topology !== 'three')
    throw new Error(`--topology takes pair or three\n\n${USAGE}`)
  const three = topology === 'three'
  if (three && values.faults !== undefined)
    throw new Error(
      `--topology three has one fault of its own (a's death, then b's): leave out --faults\n\n${USAGE}`,
    )
  const notThree = SETTINGS.filter((s) => ids?.includes(s.id) && !runsThree(s)).map((s) => s.id)
  if (three && notThree.length > 0)
    throw new Error(
      `--topology three runs ipfo and keepalived's fault settings, not ${notThree.join(', ')}\n\n${USAGE}`,
    )
  const quiet = number('quiet', values.quiet, smoke ? 0 : 20, 0)
  return {
    smoke,
    topology,
    runs: Math.floor(number('runs', values.runs, smoke ? 1 : 20, 1)),
    settings: SETTINGS.filter((s) =>
      ids ? ids.includes(s.id) : !s.optIn && (three ? s.fastest && runsThree(s) : !smoke || s.fastest),
    ),
    faults: three ? [] : faults,
    costSeconds: number('cost-seconds', values['cost-seconds'], smoke ? 2 : 30, 1),
    stressSeconds: number('stress-seconds', values['stress-seconds'], smoke ? 2 : 60, 0),
    stressWorkers: workerCounts(values['stress-workers'], smoke),
    // The smoke run shares the machine with the other workspaces' tests: it checks the plumbing,
    // it must not starve them.
    stressNiced: smoke,
    out: values.out,
    quietPercent: quiet > 0 ? quiet : undefined,
    quietWaitMs: 300_000,
    probeEveryMs: 1,
    startTimeoutMs: 20_000,
    takeoverTimeoutMs: 15_000,
    splitHoldMs: smoke ? 500 : 1_000,
    returnTimeoutMs: smoke ? 10_000 : 20_000,
    // One heartbeat interval of the slowest setting (1 s): every phase of its cycle is equally likely.
    faultJitterMs: smoke ? 100 : 1_000,
  }
}

/** The cores, then four stress-ng workers a core (the issue's --cpu 2 and --cpu 8 on two cores). */
function defaultWorkers(): number[] {
  const cores = availableParallelism()
  return [cores, 4 * cores]
}

/** --stress-workers: positive whole counts; the smoke run stresses once, with one worker a core. */
function workerCounts(text: string | undefined, smoke: boolean): number[] {
  if (text === undefined) return smoke ? [availableParallelism()] : defaultWorkers()
  const counts = text.split(',').map((t) => Number(t.trim()))
  if (counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--stress-workers takes whole numbers >= 1, comma-separated (e.g. 2,8)\n\n${USAGE}`)
  return counts
}
