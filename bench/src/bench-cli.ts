import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ProcessGroup } from './failover/process-group.js'
import { liveStages } from './failover/with-stage.js'

/**
 * Writes a benchmark's report as `<name>.json` and `<name>.md` (and any other renderings given by
 * extension, e.g. svg) in `out`, and prints the markdown and where it went.
 */
export async function writeReport(
  out: string,
  name: string,
  report: unknown,
  markdown: string,
  more: Readonly<Record<string, string>> = {},
): Promise<void> {
  await mkdir(out, { recursive: true })
  const stem = join(out, name)
  await writeFile(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(`${stem}.md`, markdown)
  for (const [ext, text] of Object.entries(more)) await writeFile(`${stem}.${ext}`, text)
  process.stdout.write(`${markdown}\nwritten: ${stem}.{${['md', 'json', ...Object.keys(more)].join(',')}}\n`)
}

/** Runs a benchmark's main and exits with its code; on a throw, prints it, cleans up and exits 1. */
export function runBench(main: () => Promise<number>, cleanUp: () => Promise<void>): void {
  main()
    .catch(async (error) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
      await cleanUp()
      return 1
    })
    .then((code) => process.exit(code))
}

/**
 * Ctrl-C or SIGTERM: `cleanUp` (saying `what` it does), then exit 130. Whatever else ends the
 * process, no daemon it started may outlive it.
 */
export function stopOnSignals(cleanUp: () => Promise<void>, what: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: ${what}...\n`)
      void cleanUp().finally(() => process.exit(130))
    })
  }
  process.once('exit', () => {
    ProcessGroup.killFrozen()
    for (const group of ProcessGroup.live) group.signal('SIGKILL')
  })
}

/** The clean-up of a benchmark that runs daemons on stages: every daemon killed, every stage deleted. */
export async function stopDaemonsAndStages(): Promise<void> {
  await ProcessGroup.killAll()
  await Promise.all([...liveStages].map((stage) => stage.destroy()))
}
