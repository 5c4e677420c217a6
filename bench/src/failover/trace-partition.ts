/**
 * A look at both agents around a partition and its heal, for profiling (not part of the benchmark's
 * results): runs `--runs` partitions of a (partition.ts) on one stage with the same agents (and, for
 * a quorum setting, the same etcd), each healed a second after b holds the VIP, and prints for each
 * heal the VIP's moves (ip monitor) and what a and b logged in the second after it, in ms from the
 * heal. With quorum it shows why the heal's outage is longer than the pair's: b gives the VIP back
 * as soon as it hears a, and a claims it only once it has a lease again.
 *   npx tsx bench/src/failover/trace-partition.ts [setting] [runs]
 * Root, Linux, the packages of .ci/apt-packages.txt, and a build (`npm run build`).
 */
import { healPartition, partition } from './partition.js'
import { SETTINGS } from './settings.js'
import { mustUntil, sleep, wallNow } from './wait.js'
import { withStage } from './with-stage.js'

const setting = SETTINGS.find((s) => s.id === (process.argv[2] ?? 'ipfo-etcd-10ms'))
if (setting?.system !== 'ipfo') throw new Error(`not an ipfo setting: ${process.argv[2]}`)
const runs = Number(process.argv[3] ?? 3)
const WINDOW_MS = 1_000
const HIDDEN = /heartbeat|packet-dropped|hook-finished|announced/

await withStage(setting, 20_000, async ({ stage, daemons, monitors }) => {
  for (let run = 1; run <= runs; run++) {
    await sleep(1_000)
    await partition(stage, 'a')
    await mustUntil('b to hold the VIP', async () => (await stage.holders()).includes('b'), 10_000)
    await sleep(1_000)
    const seen = { a: daemons.log('a').length, b: daemons.log('b').length }
    const tHeal = wallNow()
    await healPartition(stage, 'a')
    await mustUntil('a to hold the VIP alone', async () => (await stage.holders()).join() === 'a', 10_000)
    await sleep(WINDOW_MS)
    console.log(`run ${run}:`)
    for (const e of monitors.addresses.filter((x) => x.at >= tHeal))
      console.log(
        `  VIP ${e.kind === 'add' ? 'added on' : 'removed from'} ${e.node} +${(e.at - tHeal).toFixed(0)}`,
      )
    for (const node of ['a', 'b'] as const) {
      for (const line of daemons.log(node).slice(seen[node])) {
        const e = parse(line.text)
        if (!e || HIDDEN.test(e.kind)) continue
        const at = Date.parse(e.time) - tHeal
        if (at <= WINDOW_MS) console.log(`  ${node} +${at.toFixed(0).padStart(4)} ${e.kind}: ${e.msg ?? ''}`)
      }
    }
  }
})

function parse(text: string): { kind: string; msg?: string; time: string } | undefined {
  try {
    return JSON.parse(text) as { kind: string; msg?: string; time: string }
  } catch {
    return undefined
  }
}
