/**
 * A look at both agents around the heal of a link cut, for profiling (not part of the benchmark's
 * results): with the client probing as in the benchmark, runs `--runs` cuts of both of a's cables,
 * each healed after a second, on one stage with the same agents, and prints for each heal what a and
 * b logged in the half second after it (stalls, pauses, decisions), in ms from the heal, and how long
 * both held the VIP (ip monitor).
 *   npx tsx bench/src/failover/trace-heal.ts [setting] [runs]
 * Root, Linux, the packages of .ci/apt-packages.txt, and a build (`npm run build`).
 * IPFO_BENCH_NODE_FLAGS adds Node flags to the agents, e.g. "--trace-gc" (GC lines are printed too).
 */
import { bothHeldMs } from './monitor.js'
import { startClientProbe } from './probe/client-probe.js'
import { SETTINGS } from './settings.js'
import { mustUntil, sleep, wallNow } from './wait.js'
import { withStage } from './with-stage.js'

const setting = SETTINGS.find((s) => s.id === (process.argv[2] ?? 'ipfo-10ms'))
if (setting?.system !== 'ipfo') throw new Error(`not an ipfo setting: ${process.argv[2]}`)
const runs = Number(process.argv[3] ?? 10)
const WINDOW_MS = 500
const SHOWN =
  /loop-stalled|paused|peer-lost|peer-restored|acquiring|acquired|releasing|released|yielding|conflict|carrier|Scavenge|Mark-Compact/

await withStage(setting, 20_000, async ({ stage, daemons, monitors }) => {
  const probe = await startClientProbe(stage, 1)
  let doubleRuns = 0
  try {
    for (let run = 1; run <= runs; run++) {
      await sleep(500 + Math.random() * 500)
      await stage.cut('a')
      await mustUntil('b to hold the VIP', async () => (await stage.holders()).includes('b'), 5_000)
      await sleep(1_000)
      const seen = { a: daemons.log('a').length, b: daemons.log('b').length }
      const tHeal = wallNow()
      await stage.reconnect('a')
      await mustUntil('a to hold the VIP alone', async () => (await stage.holders()).join() === 'a', 10_000)
      await sleep(WINDOW_MS)
      const both = bothHeldMs(monitors.addresses, tHeal, wallNow())
      if (both > 0) doubleRuns++
      console.log(`run ${run}: both held ${both.toFixed(1)} ms after the heal`)
      for (const node of ['a', 'b'] as const) {
        for (const line of daemons.log(node).slice(seen[node])) {
          if (!SHOWN.test(line.text)) continue
          const at = timeOf(line.text) ?? line.at
          if (at - tHeal > WINDOW_MS) continue
          console.log(`  ${node} +${(at - tHeal).toFixed(0).padStart(4)} ${summary(line.text)}`)
        }
      }
    }
  } finally {
    await probe.stop()
  }
  console.log(`${doubleRuns} of ${runs} heals had both nodes holding the VIP`)
})

function timeOf(text: string): number | undefined {
  try {
    return Date.parse((JSON.parse(text) as { time: string }).time)
  } catch {
    return undefined
  }
}

function summary(text: string): string {
  try {
    const e = JSON.parse(text) as { kind: string; msg: string }
    return `${e.kind}: ${e.msg}`
  } catch {
    return text.slice(0, 140)
  }
}
