/**
 * How much an `exec` health check stalls the agent's event loop: the same checks started with
 * child_process.spawn in the loop itself (what a check would cost without the helper; hook-process.ts
 * spawns this way) and through the ExecChecker of @ipfo/core (one perl helper, started once, forks
 * every check). The agent's fastest heartbeat interval is 10 ms, so a stall of that size is a late
 * heartbeat. Each round measures every mode with perf_hooks.monitorEventLoopDelay (1 ms
 * resolution; its figures include that 1 ms, which the idle mode shows), the modes in a rotating
 * order so a machine that slows down favours none; the table gives medians over the rounds. The
 * loop delay also counts the CPU the checks themselves take on a small machine; how long the call
 * that starts a check holds the loop (spawn() itself, or run() up to its first await) does not.
 * Against the built package. Writes bench/results/exec-check-stall-<date>.{json,md}.
 *
 *   npm run bench:exec-stall                     (builds core first)
 *   npx tsx bench/src/exec-check-stall.ts [--rounds 7] [--checks 100] [--gap-ms 10] [--command true]
 */
import { execFile, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { cpus, hostname, loadavg } from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { startExecChecker } from '@ipfo/core'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    checks: { type: 'string', default: '100' },
    'gap-ms': { type: 'string', default: '10' },
    command: { type: 'string', default: 'true' },
  },
})
const rounds = Number(values.rounds)
const checks = Number(values.checks)
const gapMs = Number(values['gap-ms'])
const argv = values.command!.split(' ')
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

interface Sample {
  readonly maxMs: number
  readonly p99Ms: number
  readonly checkMs: number
  readonly callMs: number
  readonly callMaxMs: number
  readonly failed: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ms = (ns: number) => Math.round(ns / 10_000) / 100
const round2 = (x: number) => Math.round(x * 100) / 100
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : Math.round(((s[mid - 1]! + s[mid]!) / 2) * 100) / 100
}

/** A check's outcome, and how long the call that started it held the loop (its synchronous part). */
interface Checked {
  readonly ok: boolean
  readonly blockedMs: number
}

/** A check the way a per-check spawn would do it: own group, clean env, output piped, as hooks run. */
function spawnCheck(): Promise<Checked> {
  const t = performance.now()
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: '/',
    env: { PATH, LANG: 'C' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const blockedMs = performance.now() - t
  return new Promise((resolve) => {
    child.stdout.resume()
    child.stderr.resume()
    child.once('error', () => resolve({ ok: false, blockedMs }))
    child.once('exit', (code) => resolve({ ok: code === 0, blockedMs }))
  })
}

async function main(): Promise<void> {
  const started = performance.now()
  const checker = startExecChecker({ path: PATH })
  const startStallMs = Math.round((performance.now() - started) * 100) / 100
  const modes: Record<string, (() => Promise<Checked>) | undefined> = {
    idle: undefined,
    spawn: spawnCheck,
    'exec-checker': async () => {
      const t = performance.now()
      const result = checker.run(argv, 5_000)
      const blockedMs = performance.now() - t
      return { ok: (await result).ok, blockedMs }
    },
  }
  // Each way once, unmeasured: the first spawn and the helper's first fork warm caches.
  await spawnCheck()
  await checker.run(argv, 5_000)

  const samples: Record<string, Sample[]> = {}
  const names = Object.keys(modes)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!
      const check = modes[name]
      const histogram = monitorEventLoopDelay({ resolution: 1 })
      const latencies: number[] = []
      const blocked: number[] = []
      let failed = 0
      histogram.enable()
      for (let n = 0; n < checks; n++) {
        if (check) {
          const t = performance.now()
          const { ok, blockedMs } = await check()
          if (!ok) failed++
          latencies.push(performance.now() - t)
          blocked.push(blockedMs)
        }
        await sleep(gapMs)
      }
      histogram.disable()
      samples[name] ??= []
      samples[name].push({
        maxMs: ms(histogram.max),
        p99Ms: ms(histogram.percentile(99)),
        checkMs: latencies.length ? median(latencies.map(round2)) : 0,
        callMs: blocked.length ? median(blocked.map(round2)) : 0,
        callMaxMs: blocked.length ? round2(Math.max(...blocked)) : 0,
        failed,
      })
      process.stderr.write(`round ${round + 1}/${rounds} ${name}: max ${ms(histogram.max)} ms\n`)
    }
  }
  await checker.close()
  await report(samples, startStallMs)
}

async function report(samples: Record<string, Sample[]>, startStallMs: number): Promise<void> {
  const date = new Date().toISOString()
  const cpu = cpus()
  const machine = {
    hostname: hostname(),
    cpus: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    node: process.version,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  }
  const rows = Object.entries(samples).map(([mode, runs]) => ({
    mode,
    maxMs: median(runs.map((r) => r.maxMs)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    worstMaxMs: Math.max(...runs.map((r) => r.maxMs)),
    checkMs: median(runs.map((r) => r.checkMs)),
    callMs: median(runs.map((r) => r.callMs)),
    callMaxMs: Math.max(...runs.map((r) => r.callMaxMs)),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
  }))
  const json = {
    date,
    machine,
    rounds,
    checks,
    gapMs,
    command: argv,
    helperStartStallMs: startStallMs,
    rows,
    samples,
  }
  const md = [
    `# exec checks and the event loop, ${date}`,
    '',
    `${machine.cpus} cores (${machine.cpu}), Node ${machine.node}, load ${machine.loadavg.join(' ')}. Per round and mode: ${checks} checks of \`${argv.join(' ')}\`, one after the other, ${gapMs} ms apart (idle: the pauses alone); ${rounds} rounds, modes in a rotating order. Loop delay from monitorEventLoopDelay at 1 ms resolution (the figures include that 1 ms), and so also what the checks' own CPU takes from the agent on a busy machine; the call that starts a check is timed around its synchronous part alone.`,
    '',
    '| mode | loop delay max (median of rounds) | p99 (median) | worst max | loop held by the call that starts a check (median / max) | one check, start to result (median) | failed checks |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.mode} | ${r.maxMs} ms | ${r.p99Ms} ms | ${r.worstMaxMs} ms | ${r.mode === 'idle' ? '-' : `${r.callMs} / ${r.callMaxMs} ms`} | ${r.mode === 'idle' ? '-' : `${r.checkMs} ms`} | ${r.failed} |`,
    ),
    '',
    `Starting the helper (one spawn, once, before any heartbeat): ${startStallMs} ms of blocked loop.`,
    '',
    'Reproduce: `npm run bench:exec-stall` (builds core), or `npx tsx bench/src/exec-check-stall.ts --rounds 7 --checks 100`.',
    '',
  ].join('\n')
  const stem = fileURLToPath(new URL(`../results/exec-check-stall-${date.slice(0, 10)}`, import.meta.url))
  await writeFile(`${stem}.json`, `${JSON.stringify(json, null, 2)}\n`)
  await writeFile(`${stem}.md`, md)
  // In the repository's JSON style, so `npm run lint` passes as written.
  await promisify(execFile)('npx', ['biome', 'format', '--write', `${stem}.json`]).catch(() => undefined)
  process.stdout.write(`${md}\nwrote ${stem}.md and .json\n`)
}

await main()
