import type { NodeCount } from './generate.js'
import type { TimerMode } from './schedule.js'

export interface CliOptions {
  readonly help: boolean
  readonly scenarios: number
  readonly firstSeed: number
  readonly mode: TimerMode | undefined
  readonly maxSimMs: number | undefined
  readonly bypassSchema: boolean
  /** Health checks in every scenario (true) or none (false); undefined: the seed picks. */
  readonly checks: boolean | undefined
  /** How many nodes (see GenerateOptions.nodes); undefined: the seed picks (`mixed`). */
  readonly nodes: NodeCount | undefined
  readonly jobs: number
  readonly shrink: boolean
  readonly save: boolean
  readonly stopAfter: number
  readonly replay: string | undefined
  /** With --replay SEED: shrink a violation too (and save it). */
  readonly shrinkReplay: boolean
  readonly quiet: boolean
  /** Internal: this process is worker k of `jobs`. */
  readonly worker: number | undefined
}

export const USAGE = `npm run sim -- [flags]

  --scenarios N         how many seeded scenarios (default 100)
  --seed S              the first seed (default: from the clock, printed)
  --defaults            the shipped timers (1 s / 3 s / stableFor 30 s) for every scenario
  --random-ratios       random timer ratios for every scenario (default: the seed picks, half each)
  --max-sim-seconds S   cap each scenario's simulated time
  --bypass-schema       claimTimeout near stableFor, past the config schema's refusal
  --checks              health checks and service faults in every scenario (default: the seed picks, half)
  --no-checks           no health checks in any scenario
  --nodes N             pair (two nodes, as before issue 20), 3, 4 or 5 nodes with orders of takers,
                        many (3 to 5, the seed picks) or mixed (default: the seed picks, a pair in most)
  --jobs J              run in J child processes (default 1)
  --stop-after K        stop after K violations (default 5)
  --no-shrink           report violations as generated, unshrunk
  --no-save             do not write regressions/*.json
  --replay SEED|FILE    run one seed (with the same mode flags) or a saved schedule, printing its trace
  --shrink              with --replay SEED: shrink a violation, print and save the minimal schedule
  --quiet               with --replay: the result only, not the trace`

export function parseArgs(argv: readonly string[]): CliOptions {
  const flags = new Map<string, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"\n\n${USAGE}`)
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(arg.slice(2), next)
      i++
    } else flags.set(arg.slice(2), true)
  }
  const known = new Set([
    'help',
    'scenarios',
    'seed',
    'defaults',
    'random-ratios',
    'max-sim-seconds',
    'bypass-schema',
    'checks',
    'no-checks',
    'nodes',
    'jobs',
    'stop-after',
    'no-shrink',
    'no-save',
    'replay',
    'shrink',
    'quiet',
    'worker',
  ])
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown flag --${name}\n\n${USAGE}`)
  const num = (name: string, fallback: number) => {
    const v = flags.get(name)
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n)) throw new Error(`--${name} needs a number`)
    return n
  }
  const seconds = flags.get('max-sim-seconds')
  return {
    help: flags.has('help'),
    scenarios: num('scenarios', 100),
    firstSeed: num('seed', Date.now() % 1_000_000_000),
    mode: flags.has('defaults') ? 'defaults' : flags.has('random-ratios') ? 'random' : undefined,
    maxSimMs: seconds === undefined ? undefined : num('max-sim-seconds', 0) * 1000,
    bypassSchema: flags.has('bypass-schema'),
    checks: flags.has('checks') ? true : flags.has('no-checks') ? false : undefined,
    nodes: nodeCount(flags.get('nodes')),
    jobs: Math.max(1, num('jobs', 1)),
    shrink: !flags.has('no-shrink'),
    save: !flags.has('no-save'),
    stopAfter: num('stop-after', 5),
    replay: typeof flags.get('replay') === 'string' ? (flags.get('replay') as string) : undefined,
    shrinkReplay: flags.has('shrink'),
    quiet: flags.has('quiet'),
    worker: flags.has('worker') ? num('worker', 0) : undefined,
  }
}

function nodeCount(v: string | true | undefined): NodeCount | undefined {
  if (v === undefined || v === 'mixed') return undefined
  if (v === 'pair' || v === '2') return 'pair'
  if (v === 'many') return 'many'
  if (v === '3' || v === '4' || v === '5') return Number(v) as 3 | 4 | 5
  throw new Error(`--nodes needs pair, 3, 4, 5, many or mixed\n\n${USAGE}`)
}

/** The command that runs this seed again, with the flags that shape its schedule. */
export function replayCommand(seed: number, opts: CliOptions): string {
  return [
    'npm run sim -- --replay',
    String(seed),
    opts.mode === 'defaults' ? '--defaults' : opts.mode === 'random' ? '--random-ratios' : '',
    opts.maxSimMs === undefined ? '' : `--max-sim-seconds ${opts.maxSimMs / 1000}`,
    opts.bypassSchema ? '--bypass-schema' : '',
    opts.checks === true ? '--checks' : opts.checks === false ? '--no-checks' : '',
    opts.nodes === undefined ? '' : `--nodes ${opts.nodes}`,
  ]
    .filter(Boolean)
    .join(' ')
}
