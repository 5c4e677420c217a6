/**
 * `npm run bench:failover`: ipfo against keepalived and ucarp in network namespaces (root). For each
 * system and setting, N runs of each fault (node death; both links cut with the daemon running; the
 * daemon's crash; the service's death, which the daemons' health checks see; the holder partitioned
 * from its peer and etcd while the client still reaches it), measured by a client
 * probing the VIP every millisecond; then idle CPU/RSS and false failovers under CPU stress. Writes failover-<date>.{md,json,svg} to bench/results (or --out).
 */
import { mkdir, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runBench, stopOnSignals, writeReport } from '../bench-cli.js'
import { parseOptions } from './options.js'
import { ProcessGroup } from './process-group.js'
import { renderMarkdown } from './report/markdown.js'
import { renderSvg } from './report/svg.js'
import { runBenchmark } from './run-benchmark.js'
import { liveClusters, liveStages } from './with-stage.js'

const RESULTS = fileURLToPath(new URL('../../results/', import.meta.url))

async function cleanUp(): Promise<void> {
  await ProcessGroup.killAll()
  await Promise.all([...liveClusters].map((etcd) => etcd.close()))
  await Promise.all([...liveStages].map((stage) => stage.destroy()))
}

stopOnSignals(cleanUp, 'stopping daemons and etcd, deleting namespaces')

async function main(): Promise<number> {
  let opts: ReturnType<typeof parseOptions>
  try {
    opts = parseOptions(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    return 2
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:failover needs root (network namespaces, keepalived, ucarp)\n')
    return 2
  }
  const out = opts.out ?? (opts.smoke ? await mkdtemp(join(tmpdir(), 'ipfo-bench-smoke-')) : RESULTS)
  // Made now: a folder that cannot be made fails before the runs, not after them.
  await mkdir(out, { recursive: true })
  const report = await runBenchmark(opts, (line) => process.stderr.write(`${line}\n`))
  await writeReport(out, `failover-${report.date.slice(0, 10)}`, report, renderMarkdown(report), {
    svg: renderSvg(report),
  })
  return 0
}

runBench(main, cleanUp)
