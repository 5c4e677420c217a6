/**
 * ipfo CLI start-up benchmark. Generates the oclif manifest (as `npm pack` does, and removes it after,
 * as postpack does: a committed manifest hides new commands), starts a real agent on loopback with
 * simulated addresses (no root needed), then times with hyperfine, side by side:
 *
 *   node -e 0                              the floor: Node itself
 *   ipfo --version                         the fast path in bin/run.js
 *   ipfo status --json --socket <agent>    oclif, one command, one control request
 *
 * The target is a median of at most 200 ms, or at most 2.2x `node -e 0` on a slow machine. Writes
 * bench/results/cli-startup-<date>.{json,md}. Run by `npm run bench:cli` (which builds first).
 *
 *   npx tsx bench/cli-startup.ts [--runs 30] [--warmup 5]
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { cpus, hostname, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { AgentProcess, IPFO_BIN, loopbackStage, writeNodeFiles } from '@ipfo/cli/demo'

const run = promisify(execFile)
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
  },
})
const runs = Number(values.runs)
const warmup = Number(values.warmup)
const CLI_DIR = dirname(createRequire(import.meta.url).resolve('@ipfo/cli/package.json'))
const MANIFEST = join(CLI_DIR, 'oclif.manifest.json')
const TARGET_MS = 200
const TARGET_RATIO = 2.2

interface HyperfineResult {
  command: string
  mean: number
  stddev: number
  median: number
  min: number
  max: number
  times: number[]
}

const ms = (seconds: number) => Math.round(seconds * 10_000) / 10

async function withAgent<T>(body: (socket: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-bench-cli-'))
  try {
    const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
    const files = await writeNodeFiles(stage, dir)
    const agent = new AgentProcess(
      'a',
      stage.agentCommand('a', ['--config', files.config.a]),
      () => {},
      (_, text) => process.stderr.write(`agent: ${text}\n`),
    )
    agent.start()
    const { controlRequest } = await import('@ipfo/core/control-client')
    const end = Date.now() + 15_000
    for (;;) {
      const up = await controlRequest(files.socket.a, { method: 'status' }).then(
        () => true,
        () => false,
      )
      if (up) break
      if (Date.now() > end) throw new Error('the agent did not answer on its control socket within 15 s')
      await new Promise((r) => setTimeout(r, 50))
    }
    return await body(files.socket.a)
  } finally {
    await AgentProcess.killAll()
    await rm(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  await run('npx', ['oclif', 'manifest'], { cwd: CLI_DIR })
  try {
    const out = join(await mkdtemp(join(tmpdir(), 'ipfo-hyperfine-')), 'hyperfine.json')
    const commands = {
      'node -e 0': `${process.execPath} -e 0`,
      'ipfo --version': `${IPFO_BIN} --version`,
      'ipfo status --json': '', // filled in once the agent's socket is known
    }
    const results = await withAgent(async (socket) => {
      commands['ipfo status --json'] = `${IPFO_BIN} status --json --socket ${socket}`
      // Each command must succeed once before it is timed: a fast error would look like a fast start.
      for (const command of Object.values(commands)) await run('sh', ['-c', `${command} > /dev/null`])
      const args = ['-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out]
      for (const [name, command] of Object.entries(commands)) args.push('--command-name', name, command)
      await run('hyperfine', args, { maxBuffer: 16 * 1024 * 1024 })
      return (JSON.parse(await readFile(out, 'utf8')) as { results: HyperfineResult[] }).results
    })
    await rm(join(out, '..'), { recursive: true, force: true })
    await report(results)
  } finally {
    await rm(MANIFEST, { force: true })
  }
}

async function report(results: HyperfineResult[]): Promise<void> {
  const baseline = results[0]!
  const rows = results.map((r) => ({
    command: r.command,
    medianMs: ms(r.median),
    meanMs: ms(r.mean),
    stddevMs: ms(r.stddev),
    minMs: ms(r.min),
    maxMs: ms(r.max),
    ratioToNode: Math.round((r.median / baseline.median) * 100) / 100,
  }))
  const meets = (r: (typeof rows)[number]) => r.medianMs <= TARGET_MS || r.ratioToNode <= TARGET_RATIO
  const date = new Date().toISOString()
  const cpu = cpus()
  const machine = {
    hostname: hostname(),
    cpus: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    node: process.version,
  }
  const json = {
    date,
    machine,
    tool: 'hyperfine -N (no shell)',
    warmup,
    runs,
    target: { medianMs: TARGET_MS, ratioToNode: TARGET_RATIO },
    results: rows.map((r, i) => ({ ...r, meetsTarget: i === 0 ? null : meets(r) })),
    times: Object.fromEntries(results.map((r) => [r.command, r.times.map(ms)])),
  }
  const md = [
    `# ipfo CLI start-up, ${date}`,
    '',
    `${machine.cpus} cores (${machine.cpu}), Node ${machine.node}; hyperfine without a shell, ${warmup} warm-up runs, ${runs} timed runs per command, side by side; \`status\` against a running agent on loopback; with the oclif manifest, as published.`,
    '',
    `Target: a median of at most ${TARGET_MS} ms, or at most ${TARGET_RATIO}x \`node -e 0\`.`,
    '',
    '| command | median | mean ± sd | min | max | x node -e 0 | target |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r, i) =>
        `| \`${r.command}\` | ${r.medianMs} ms | ${r.meanMs} ± ${r.stddevMs} ms | ${r.minMs} ms | ${r.maxMs} ms | ${r.ratioToNode} | ${i === 0 ? 'baseline' : meets(r) ? 'met' : 'missed'} |`,
    ),
    '',
    'Reproduce: `npm run bench:cli` (builds, generates the manifest, starts an agent, runs hyperfine).',
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
