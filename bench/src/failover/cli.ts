/**
 * `npm run bench:failover`: ipfo against keepalived and ucarp in network namespaces (root). For each
 * system and setting, N runs of each fault (node death; both links cut with the daemon running; the
 * daemon's crash; the service's death, which the daemons' health checks see; the holder partitioned
 * from its peer and etcd while the client still reaches it), measured by a client
 * probing the VIP every millisecond; then idle CPU/RSS and false failovers under CPU stress. Writes failover-<date>.{md,json,svg} to bench/results (or --out).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
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

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping daemons and etcd, deleting namespaces...\n`)
    void cleanUp().finally(() => process.exit(130))
  })
}
// Whatever else ends the process, no daemon may outlive it.
process.once('exit', () => {
  for (const group of ProcessGroup.live) group.signal('SIGKILL')
})

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
  await mkdir(out, { recursive: true })
  const report = await runBenchmark(opts, (line) => process.stderr.write(`${line}\n`))
  const stem = join(out, `failover-${report.date.slice(0, 10)}`)
  const markdown = renderMarkdown(report)
  await writeFile(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(`${stem}.md`, markdown)
  await writeFile(`${stem}.svg`, renderSvg(report))
  process.stdout.write(`${markdown}\nwritten: ${stem}.{md,json,svg}\n`)
  return 0
}

main()
  .catch(async (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
    await cleanUp()
    return 1
  })
  .then((code) => process.exit(code))
