/**
 * The guard process (`node dist/guard/main.js`, started by the agent; not an oclif command, so it
 * starts in a few milliseconds and stays small). It reads what the agent tells it on stdin until the
 * pipe closes, then does what @ipfo/core/guard's `runGuard` says. It ignores SIGTERM, SIGINT and
 * SIGHUP: a service manager stopping the agent's group, or a terminal's Ctrl-C, must not end it
 * before the agent has said whether its stop was clean. Exit code 0 once it is done, 1 on a defect.
 */
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { reportGuardAct, runGuard, systemGuardDeps } from '@ipfo/core/guard'

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {})
// An out-of-memory kill of the agent is one of the deaths the guard is for: it must not go first.
if (process.platform === 'linux') await writeFile('/proc/self/oom_score_adj', '-900').catch(() => {})

const say = (message: string) => process.stderr.write(`ipfo guard: ${message}\n`)

try {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  const outcome = await runGuard(lines, systemGuardDeps(say))
  if (outcome.kind === 'acted') await reportGuardAct(outcome, Date.now(), say)
  process.exit(0)
} catch (error) {
  say(error instanceof Error ? (error.stack ?? error.message) : String(error))
  process.exit(1)
}
