/**
 * ipfo CLI start-up benchmark: every everyday command against `node -e 0`, as installed.
 *
 * The CLI is installed as users install it: every workspace packed (`npm pack`, which adds the CLI's
 * oclif manifest), served by a local registry for the @ipfo scope, and `npm install -g @ipfo/cli`
 * into a temporary prefix (testkit's installPacked). A real agent runs on loopback with simulated addresses (no
 * root needed); its config is written as YAML, the usual form. Then, in rounds, each command runs
 * once per round in turn, `node -e 0` first: on a busy machine every command sees the same load,
 * and the ratio of medians is what counts (target: at most 2.2x `node -e 0`).
 *
 * Writes bench/results/cli-startup-<date>.{json,md}. Run by `npm run bench:cli` (which builds first).
 *
 *   npx tsx bench/cli-startup.ts [--runs 30] [--warmup 3]
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, hostname, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { AgentProcess, loopbackStage, writeNodeFiles } from '@ipfo/cli/demo'
import { stringifyConfig } from '@ipfo/core'
import { type InstalledPackages, installPacked } from '@ipfo/testkit'

const run = promisify(execFile)
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
  },
})
const runs = Number(values.runs)
const warmup = Number(values.warmup)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TARGET_RATIO = 2.2

interface Timed {
  readonly name: string
  readonly argv: string[]
}

const ms = (n: number) => Math.round(n * 10) / 10
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The CLI installed globally from the packed workspaces, as `npm install -g @ipfo/cli` does. */
async function installCli(): Promise<InstalledPackages> {
  return installPacked({
    root: ROOT,
    workspaces: ['packages/core', 'packages/afp', 'packages/hooks-stdlib', 'packages/cli'],
    spec: '@ipfo/cli',
  })
}

async function withAgent<T>(dir: string, body: (config: string, socket: string) => Promise<T>): Promise<T> {
  const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
  const files = await writeNodeFiles(stage, dir)
  const agent = new AgentProcess(
    'a',
    stage.agentCommand('a', ['--config', files.config.a]),
    () => {},
    (_, text) => process.stderr.write(`agent: ${text}\n`),
  )
  try {
    agent.start()
    const { controlRequest } = await import('@ipfo/core/control-client')
    const end = Date.now() + 15_000
    while (
      !(await controlRequest(files.socket.a, { method: 'status' }).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > end) throw new Error('the agent did not answer on its control socket within 15 s')
      await new Promise((r) => setTimeout(r, 50))
    }
    // The same config as YAML, as /etc/ipfo/ipfo.yaml would be.
    const yaml = join(dir, 'a.yaml')
    await writeFile(yaml, stringifyConfig(JSON.parse(await readFile(files.config.a, 'utf8')), ['bench']))
    return await body(yaml, files.socket.a)
  } finally {
    await AgentProcess.killAll()
  }
}

/**
 * One run of a command: wall time in ms, from spawn to exit. Throws if it fails. Asynchronous, so
 * the bench keeps reading the agent's output meanwhile (a full pipe would stall the agent).
 */
function time({ name, argv }: Timed): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6
      if (code === 0) resolve(elapsed)
      else reject(new Error(`${name} exited ${code}: ${stderr}`))
    })
  })
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-bench-cli-'))
  let installed: InstalledPackages | undefined
  try {
    installed = await installCli()
    const bin = join(installed.modules, '@ipfo/cli', 'bin', 'run.js')
    const hooks = join(dir, 'hooks')
    await mkdir(join(hooks, '192.0.2.100'), { recursive: true })
    const times = await withAgent(dir, async (config, socket) => {
      const ipfo = (...args: string[]) => [bin, ...args]
      const commands: Timed[] = [
        { name: 'node -e 0', argv: ['-e', '0'] },
        { name: 'ipfo --version', argv: ipfo('--version') },
        { name: 'ipfo status', argv: ipfo('status', '--config', config) },
        { name: 'ipfo status --json', argv: ipfo('status', '--json', '--config', config) },
        { name: 'ipfo status --json --socket', argv: ipfo('status', '--json', '--socket', socket) },
        { name: 'ipfo events', argv: ipfo('events', '--config', config) },
        // Each round releases a's addresses, then takes them back.
        { name: 'ipfo release a', argv: ipfo('release', 'a', '--config', config) },
        { name: 'ipfo takeover a', argv: ipfo('takeover', 'a', '--config', config) },
        { name: 'ipfo maintenance off', argv: ipfo('maintenance', 'off', '--config', config) },
        { name: 'ipfo config check', argv: ipfo('config', 'check', '--config', config) },
        { name: 'ipfo hooks list', argv: ipfo('hooks', 'list', '--dir', hooks) },
      ]
      const samples = new Map(commands.map((c) => [c.name, [] as number[]]))
      const load = [loadavg()[0]!]
      for (let round = 0; round < warmup + runs; round++) {
        for (const command of commands) {
          const t = await time(command)
          if (round >= warmup) samples.get(command.name)!.push(t)
        }
        load.push(loadavg()[0]!)
      }
      return { samples, load }
    })
    await report(times.samples, times.load)
  } finally {
    await installed?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function report(samples: Map<string, number[]>, load: number[]): Promise<void> {
  const baseline = median(samples.get('node -e 0')!)
  const rows = [...samples].map(([command, t]) => ({
    command,
    medianMs: ms(median(t)),
    minMs: ms(Math.min(...t)),
    maxMs: ms(Math.max(...t)),
    ratioToNode: Math.round((median(t) / baseline) * 100) / 100,
  }))
  const meets = (r: (typeof rows)[number]) => r.ratioToNode <= TARGET_RATIO
  const date = new Date().toISOString()
  const cpu = cpus()
  const machine = {
    hostname: hostname(),
    cpus: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    node: process.version,
  }
  const loadRange = `${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}`
  const json = {
    date,
    machine,
    tool: 'interleaved rounds, spawn to exit, wall time',
    warmup,
    runs,
    loadAverage1m: load,
    target: { ratioToNode: TARGET_RATIO },
    results: rows.map((r, i) => ({ ...r, meetsTarget: i === 0 ? null : meets(r) })),
    times: Object.fromEntries([...samples].map(([c, t]) => [c, t.map(ms)])),
  }
  const md = [
    `# ipfo CLI start-up, ${date}`,
    '',
    `${machine.cpus} cores (${machine.cpu}), Node ${machine.node}; the CLI installed with \`npm install -g @ipfo/cli\` from the packed workspaces (with its oclif manifest); ${warmup} warm-up rounds and ${runs} timed rounds, each running every command once in turn (interleaved, \`node -e 0\` first); wall time from spawn to exit; a real agent on loopback, its config as YAML; 1-minute load average ${loadRange} during the run.`,
    '',
    `Target: at most ${TARGET_RATIO}x \`node -e 0\` (ratio of medians). Only the ratios compare across machines and loads.`,
    '',
    '| command | median | min | max | x node -e 0 | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r, i) =>
        `| \`${r.command}\` | ${r.medianMs} ms | ${r.minMs} ms | ${r.maxMs} ms | ${r.ratioToNode} | ${i === 0 ? 'baseline' : meets(r) ? 'met' : 'missed'} |`,
    ),
    '',
    "`--config` is the agent's YAML config; it sets `paths.socket`, so those commands load core's bundled YAML parser (with `--socket` they do not). `hooks list` reads `--dir`.",
    '',
    'Reproduce: `npm run bench:cli` (builds, packs and installs the CLI into a temporary prefix, starts an agent, runs the rounds).',
    '',
  ].join('\n')
  const stem = fileURLToPath(new URL(`results/cli-startup-${date.slice(0, 10)}`, import.meta.url))
  await writeFile(`${stem}.json`, `${JSON.stringify(json, null, 2)}\n`)
  await writeFile(`${stem}.md`, md)
  // In the repository's JSON style (short arrays on one line), so `npm run lint` passes as written.
  await run('npx', ['biome', 'format', '--write', `${stem}.json`]).catch(() => undefined)
  process.stdout.write(`${md}\nwrote ${stem}.md and .json\n`)
}

await main()
