/**
 * The guard's report (`node dist/guard/report.js <report>`): the guard, a perl program
 * (`@ipfo/core/guard`'s `GUARD_PERL`), runs this in its place once it has acted on the agent's death,
 * with what it did as one JSON argument. It logs that in the agent's log and leaves the record the
 * next agent reports. Not an oclif command: it starts in a few milliseconds. It ignores SIGTERM,
 * SIGINT and SIGHUP, as the guard did. Exit code 0 once it is done, 1 on a defect.
 */
import { readGuardReport, reportGuardAct } from '@ipfo/core/guard'

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {})

const say = (message: string) => process.stderr.write(`ipfo guard: ${message}\n`)

try {
  await reportGuardAct(readGuardReport(process.argv[2] ?? ''), say)
  process.exit(0)
} catch (error) {
  say(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exit(1)
}
