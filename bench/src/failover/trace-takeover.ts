/**
 * A look inside b's takeovers, for profiling (not part of the benchmark's results): runs `--runs`
 * node deaths of a on one stage with the same b, and prints for each when b's agent logged the
 * peer lost (less its silence: a's last heartbeat), its decision and the add, and when the kernel
 * had the address (ip monitor). The first takeover of an agent runs its code cold; later ones warm.
 *   npx tsx bench/src/failover/trace-takeover.ts [setting] [runs]
 * Root, Linux, the packages of .ci/apt-packages.txt, and a build (`npm run build`). Variables:
 * - TRACE_PERF=<file>: records the system calls of b's agent and its helpers with `perf trace`
 *   (TRACE_CALLS: which; add sched:sched_switch to see who waited for a core);
 * - TRACE_LINES=1: prints b's log lines around each takeover (with --trace-gc below, its GCs);
 * - IPFO_BENCH_NODE_FLAGS: more Node flags for the agents, e.g. "--trace-gc", or "--cpu-prof
 *   --cpu-prof-dir=DIR" with PROF_STOP=1 (b is stopped at the end, which writes its profile).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { killNode, rebootNode } from './node-death.js'
import { SETTINGS } from './settings.js'
import { mustUntil, sleep, wallNow } from './wait.js'
import { withStage } from './with-stage.js'

const setting = SETTINGS.find((s) => s.id === (process.argv[2] ?? 'ipfo-10ms'))
if (setting?.system !== 'ipfo') throw new Error(`not an ipfo setting: ${process.argv[2]}`)
const runs = Number(process.argv[3] ?? 4)

await withStage(setting, 20_000, async ({ stage, daemons, monitors }) => {
  let perf: ChildProcess | undefined
  if (process.env.TRACE_PERF) {
    await sleep(1000)
    const pids = execFileSync('ip', ['netns', 'pids', stage.ns('b')], { encoding: 'utf8' })
      .trim()
      .split('\n')
    // The agent and its helpers; not the node's service and witness (Node too, from probe/).
    const ours = pids.filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        return /^(\S*node|ip|\S*socat)\0/.test(argv) && !argv.includes('/probe/')
      } catch {
        return false
      }
    })
    const calls =
      process.env.TRACE_CALLS ?? 'write,read,sendmsg,recvmsg,openat,sendto,epoll_pwait,fsync,rename'
    perf = spawn('perf', ['trace', '-o', process.env.TRACE_PERF, '-e', calls, '-p', ours.join(',')], {
      stdio: 'ignore',
    })
  }
  for (let run = 1; run <= runs; run++) {
    await sleep(1000)
    const tFault = wallNow()
    const seen = daemons.log('b').length
    await killNode({ stage, daemons }, 'a')
    // Watched through ip monitor, not by running `ip` in a loop: that would load the CPU being measured.
    const bAdd = () => monitors.addresses.find((e) => e.node === 'b' && e.kind === 'add' && e.at >= tFault)
    await mustUntil('b to take over', () => bAdd() !== undefined, 5_000)
    await sleep(300)
    const events = daemons
      .log('b')
      .slice(seen)
      .map((l) => {
        try {
          return JSON.parse(l.text) as { kind: string; time: string; silentForMs?: number }
        } catch {
          return undefined
        }
      })
      .filter((e) => e !== undefined)
    const at = (kind: string) => {
      const e = events.find((x) => x.kind === kind)
      return e ? Date.parse(e.time) : Number.NaN
    }
    if (process.env.TRACE_LINES) {
      const lines = daemons
        .log('b')
        .slice(seen)
        .map((l) => l.text)
      const from = lines.findIndex((l) => l.includes('"peer-lost"'))
      const to = lines.findIndex((l) => l.includes('"acquired"'))
      console.log(
        lines
          .slice(Math.max(0, from - 3), to + 2)
          .map((l) => `  ${l.slice(0, 160)}`)
          .join('\n'),
      )
    }
    const lost = events.find((e) => e.kind === 'peer-lost')
    const lastHeard = at('peer-lost') - (lost?.silentForMs ?? Number.NaN)
    const added = bAdd()?.at
    const rel = (t: number | undefined) => (t === undefined ? '-' : (t - lastHeard).toFixed(1))
    console.log(
      `run ${run}: from a's last heartbeat: peer-lost ${rel(at('peer-lost'))}, acquiring ${rel(at('acquiring'))}, kernel add ${rel(added)}, acquired logged ${rel(at('acquired'))}`,
    )
    await rebootNode({ stage, daemons }, 'a')
    await mustUntil('a to hold the VIP alone', async () => (await stage.holders()).join() === 'a', 10_000)
  }
  perf?.kill('SIGINT')
  // With --cpu-prof among the agent's flags: b writes its profile when it stops.
  if (process.env.PROF_STOP) {
    const pid = execFileSync('ip', ['netns', 'pids', stage.ns('b')], { encoding: 'utf8' })
      .trim()
      .split('\n')
    for (const p of pid)
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('agent')) process.kill(Number(p), 'SIGTERM')
    await sleep(3000)
  }
  await sleep(500)
})
