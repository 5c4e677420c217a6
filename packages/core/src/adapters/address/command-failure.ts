import { AddressError } from '../../model/errors.js'
import type { CommandResult } from '../../model/ports.js'

/** A stderr pattern and what a sysadmin should do when a command fails with it. */
export type Hint = readonly [pattern: RegExp, hint: string]

/** Hints that hold for every address command, whatever the platform. */
export function commonHints(opts: { command: string; installHint: string }): Hint[] {
  return [
    [/is not installed/, opts.installHint],
    [/timed out/, `${opts.command} hung: check the system log and whether the interface driver responds`],
    [
      /Operation not permitted|Permission denied/i,
      'run ipfo as root: changing addresses needs administrator rights',
    ],
  ]
}

/** The AddressError for a failed command, with the first hint whose pattern matches its stderr. */
export function addressCommandError(
  what: string,
  argv: readonly string[],
  result: CommandResult,
  hints: readonly Hint[],
): AddressError {
  const stderr = result.stderr.trim()
  const exit = result.exitCode === null ? (result.signal ?? 'did not run') : `exit ${result.exitCode}`
  const firstLine = stderr.split('\n')[0] || '(no message)'
  return new AddressError(`${what} failed (${exit}): ${firstLine}`, {
    command: argv,
    exitCode: result.exitCode,
    stderr: result.stderr,
    hint: hints.find(([pattern]) => pattern.test(stderr))?.[1],
  })
}
