/**
 * The takeover's path inside the agent (issue 23): `ipfo demo` run again and again (a pair in network
 * namespaces, real addresses, gratuitous ARPs through socat), its agents marking each step of a
 * takeover (IPFO_TRACE_TAKEOVERS, core's adapters/takeover-trace.ts). For b's takeover of a's
 * address: from the start of the turn that decided, the decision, the checklist's start, the guard
 * told, the add handed to the kernel, the first gratuitous ARP handed to its sender.
 *
 * Side by side, run for run, with a baseline: the agents with V8's default lazy compilation
 * (IPFO_COMPILE=lazy), against the agent's own (every function of ipfo's code compiled as it loads:
 * the CLI's runtime/compiled-whole.ts).
 *
 *   npm run bench:takeover-path -- [--runs 10] [--out DIR]
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { runBench, writeReport } from '../bench-cli.js'
import { quantile } from '../failover/stats.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const BIN = join(ROOT, 'packages/cli/bin/run.js')
const STEPS = ['decided', 'checklist', 'guard', 'add', 'frame'] as const
type Step = (typeof STEPS)[number]
const VARIANTS = [
  // Set either way: a variable left in the caller's shell must not make both variants one.
  { id: 'whole', label: 'compiled whole at start (the agent as it runs)', env: { IPFO_COMPILE: 'whole' } },
  {
    id: 'lazy',
    label: "V8's default, compiled at first call (IPFO_COMPILE=lazy)",
    env: { IPFO_COMPILE: 'lazy' },
  },
] as const
type VariantId = (typeof VARIANTS)[number]['id']

interface Traced {
  readonly node: string
  readonly at: number
  readonly steps: Partial<Record<Step, number>>
}

/** One demo run's takeover by b, or undefined when b traced none with a frame. */
async function oneTakeover(env: Record<string, string>): Promise<Traced | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-takeover-path-'))
  const file = join(dir, 'trace.jsonl')
  try {
    await promisify(execFile)(process.execPath, [BIN, 'demo'], {
      env: { ...process.env, ...env, IPFO_TRACE_TAKEOVERS: file },
      maxBuffer: 16 * 1024 * 1024,
    })
    const lines = (await readFile(file, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Traced)
    // b holds nothing until a dies: its first decision is the takeover.
    return lines.find((t) => t.node === 'b' && t.steps.frame !== undefined)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Hundredths of a millisecond: the steps are tenths apart. */
const round = (ms: number) => (Number.isNaN(ms) ? null : Math.round(ms * 100) / 100)

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, out: { type: 'string' } } })
  const runs = Number(values.runs ?? 10)
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number >= 1')
  if (process.getuid?.() !== 0) throw new Error('run as root: the demo builds network namespaces')
  const traced: Record<VariantId, Traced[]> = { whole: [], lazy: [] }
  for (let run = 1; run <= runs; run++) {
    for (const variant of VARIANTS) {
      const takeover = await oneTakeover(variant.env)
      if (takeover) traced[variant.id].push(takeover)
      process.stderr.write(
        `${variant.id} ${run}/${runs}: ${takeover ? `frame at ${takeover.steps.frame!.toFixed(3)} ms` : 'no takeover traced'}\n`,
      )
    }
  }
  const table = VARIANTS.map((variant) => {
    const list = traced[variant.id]
    const medians = Object.fromEntries(
      STEPS.map((step) => [
        step,
        round(
          quantile(
            list.flatMap((t) => (t.steps[step] === undefined ? [] : [t.steps[step]!])),
            0.5,
          ),
        ),
      ]),
    ) as Record<Step, number | null>
    return { id: variant.id, label: variant.label, takeovers: list.length, medians, traced: list }
  })
  const [whole, lazy] = table
  const ratio =
    whole!.medians.frame !== null && lazy!.medians.frame
      ? round(whole!.medians.frame / lazy!.medians.frame)
      : null
  const md = [
    `# The takeover's path inside the agent, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `\`ipfo demo\` ${runs} times per variant, interleaved; b's takeover of a's address. Median milliseconds`,
    'from the start of the turn that decided to each step: the decision, the acquire checklist started (its',
    'part before the first await), the guard told, the add handed to the kernel, the first gratuitous ARP',
    'handed to socat.',
    '',
    `| variant | takeovers | ${STEPS.join(' | ')} |`,
    `| --- | --- | ${STEPS.map(() => '---').join(' | ')} |`,
    ...table.map(
      (v) => `| ${v.label} | ${v.takeovers} | ${STEPS.map((s) => v.medians[s] ?? '-').join(' | ')} |`,
    ),
    '',
    `Ratio of the medians to the frame, compiled whole / lazy: ${ratio ?? '-'}`,
    '',
  ].join('\n')
  const out = values.out ?? join(ROOT, 'bench/results')
  await writeReport(out, `takeover-path-${new Date().toISOString().slice(0, 10)}`, { runs, table, ratio }, md)
  return table.every((v) => v.takeovers > 0) ? 0 : 1
}

runBench(main, async () => {})
