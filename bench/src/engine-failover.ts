/**
 * ipfo failover benchmark in network namespaces (root). For each setting, N runs of: a holds the VIP,
 * a client pings it every 1 ms, a's cables are pulled and its agent killed with SIGKILL, b takes over;
 * then a returns and takes it back while the interfaces are sampled for a moment with two holders.
 * The outage is the longest gap between two answers the client saw. Then one idle agent's CPU and
 * RSS over a window. Writes bench/results/engine-failover-<date>.{json,md}.
 *
 *   npx tsx bench/src/engine-failover.ts [--runs 10] [--idle-seconds 30] [--settings 10ms/30ms,20ms/60ms,1s/3s]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentProcess, namespaceStage, writeNodeFiles } from '@ipfo/cli/demo'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '30' },
    settings: { type: 'string', default: '10ms/30ms,20ms/60ms,1s/3s' },
  },
})
const runs = Number(values.runs)
const idleSeconds = Number(values['idle-seconds'])
const settings = values.settings!.split(',').map((s) => {
  const [interval, deadAfter] = s.split('/')
  return { interval: interval!, deadAfter: deadAfter! }
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

/** Builds namespaces, starts a (owning the VIP) and b, waits for a to hold it, runs `body`, cleans up. */
async function withPair<T>(
  setting: { interval: string; deadAfter: string },
  body: (pair: {
    stage: Awaited<ReturnType<typeof namespaceStage>>
    agent: (node: 'a' | 'b') => AgentProcess
    a: AgentProcess
    b: AgentProcess
  }) => Promise<T>,
): Promise<T> {
  const stage = await namespaceStage({ ...setting, probeEveryMs: 1 })
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-bench-'))
  try {
    const files = await writeNodeFiles(stage, dir)
    const agent = (node: 'a' | 'b') =>
      new AgentProcess(
        node,
        stage.agentCommand(node, ['--config', files.config[node]]),
        () => {},
        () => {},
      )
    const a = agent('a')
    const b = agent('b')
    a.start()
    b.start()
    await until('a to hold the VIP', async () => (await stage.holders()).join() === 'a')
    return await body({ stage, agent, a, b })
  } finally {
    await AgentProcess.killAll()
    await stage.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}

interface RunResult {
  outageMs: number
  probes: number
  answered: number
  failbackDoubleSamples: number
  failbackSamples: number
}

async function oneRun(setting: { interval: string; deadAfter: string }): Promise<RunResult> {
  return withPair(setting, async ({ stage, agent, a, b }) => {
    await sleep(1_000)
    const probe = await stage.startProbe!(1)
    await sleep(500)
    // Cables first, then the agent: a node death, measured by b's detection. Killed first, a's
    // guard would have its last word out before the cut, and b would take over at once (that is
    // bench:failover's daemon-crash fault).
    await stage.isolate('a')
    await a.kill()
    await until('b to hold the VIP', async () => (await stage.holders()).includes('b'))
    if (!(await probe.hears('b', 10_000))) throw new Error('the client never heard b answer for the VIP')
    await sleep(500)
    const probed = await probe.stop()

    await stage.revive('a')
    const a2 = agent('a')
    a2.start()
    let samples = 0
    let doubles = 0
    const end = Date.now() + 15_000
    for (;;) {
      const holders = await stage.holders()
      samples++
      if (holders.length > 1) doubles++
      if (holders.join() === 'a' || Date.now() > end) break
    }
    await Promise.all([a2.stop(), b.stop()])
    return {
      outageMs: probed.longestOutageMs,
      probes: probed.probes,
      answered: probed.answered,
      failbackDoubleSamples: doubles,
      failbackSamples: samples,
    }
  })
}

/** CPU% of one core and RSS of an idle agent (b watching a healthy a) over `seconds`. */
async function idleCost(setting: { interval: string; deadAfter: string }, seconds: number) {
  return withPair(setting, async ({ a, b }) => {
    await sleep(2_000)
    const ticks = async (pid: number) => {
      const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
      return Number(fields[11]) + Number(fields[12]) // utime + stime, after the comm field
    }
    const rssMb = async (pid: number) =>
      Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
    const pid = b.pid!
    const t0 = await ticks(pid)
    const start = performance.now()
    await sleep(seconds * 1000)
    const t1 = await ticks(pid)
    const elapsed = (performance.now() - start) / 1000
    const cpuPercent = ((t1 - t0) / 100 / elapsed) * 100 // USER_HZ is 100 on Linux
    const rss = await rssMb(pid)
    await Promise.all([a.stop(), b.stop()])
    return { cpuPercent: Math.round(cpuPercent * 100) / 100, rssMb: Math.round(rss * 10) / 10 }
  })
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const pct = (xs: number[], p: number) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!

const results = []
for (const setting of settings) {
  const outcomes: RunResult[] = []
  for (let i = 0; i < runs; i++) {
    outcomes.push(await oneRun(setting))
    process.stderr.write(
      `${setting.interval}/${setting.deadAfter} run ${i + 1}/${runs}: outage ${outcomes.at(-1)!.outageMs}ms\n`,
    )
  }
  const outages = outcomes.map((o) => o.outageMs)
  const idle = await idleCost(setting, idleSeconds)
  results.push({
    ...setting,
    runs,
    outageMs: {
      min: Math.min(...outages),
      median: median(outages),
      p95: pct(outages, 95),
      max: Math.max(...outages),
    },
    failbackDoubleSamples: outcomes.reduce((n, o) => n + o.failbackDoubleSamples, 0),
    failbackSamples: outcomes.reduce((n, o) => n + o.failbackSamples, 0),
    idle,
    outages,
  })
}

const date = new Date().toISOString()
const machine = { hostname: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version }
const report = { date, machine, probeEveryMs: 1, idleSeconds, results }
const stem = `engine-failover-${date.slice(0, 10)}`
await writeFile(
  join(import.meta.dirname, '..', 'results', `${stem}.json`),
  `${JSON.stringify(report, null, 2)}\n`,
)
const table = [
  `# ipfo failover in network namespaces, ${date}`,
  '',
  `${machine.cpus} cores (${machine.cpu}), Node ${machine.node}; client probe every 1 ms; ${runs} runs per setting; idle cost over ${idleSeconds} s.`,
  '',
  '| interval / deadAfter | outage min | median | p95 | max | samples with two holders (failback) | idle CPU % | RSS MB |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.interval} / ${r.deadAfter} | ${r.outageMs.min} ms | ${r.outageMs.median} ms | ${r.outageMs.p95} ms | ${r.outageMs.max} ms | ${r.failbackDoubleSamples} of ${r.failbackSamples} | ${r.idle.cpuPercent} | ${r.idle.rssMb} |`,
  ),
  '',
]
await writeFile(join(import.meta.dirname, '..', 'results', `${stem}.md`), table.join('\n'))
console.log(table.join('\n'))
