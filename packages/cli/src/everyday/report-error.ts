import { AddressError, ConfigError, ControlError, IpfoError } from '@ipfo/core/errors'
import { EXIT } from '../exit-codes.js'

export interface ErrorSink {
  /** --json is on: the error goes to stdout as `{ error: { kind, message, hint, exitCode } }`. */
  readonly json: boolean
  logJson(value: unknown): void
  stderr(text: string): void
}

/**
 * An error as ipfo reports it, for the oclif commands (IpfoCommand.catch) and the fast path alike:
 * ipfo's typed errors as a message, a hint and a documented exit code; anything else as a bug, one
 * line and how to see more. Returns the exit code. (--debug's stack traces stay with oclif.)
 */
export function reportError(error: Error, sink: ErrorSink): number {
  if (!(error instanceof IpfoError)) {
    // A bug or an unforeseen system error: one line, and how to see more.
    sink.stderr(
      `ipfo: ${error.message}\nhint: run again with --debug for the stack trace, and please report it\n`,
    )
    return EXIT.failure
  }
  const where =
    error instanceof ConfigError && error.path && !error.message.includes('\n') ? ` (at ${error.path})` : ''
  const code = exitCodeFor(error)
  if (sink.json) {
    sink.logJson({
      error: { kind: error.name, message: error.message, hint: error.hint ?? null, exitCode: code },
    })
  } else {
    // Written here, unwrapped: oclif would fold long lines at 80 columns, which breaks copy and paste.
    sink.stderr(`ipfo: ${error.message}${where}\n${error.hint ? `hint: ${error.hint}\n` : ''}`)
  }
  return code
}

export function exitCodeFor(error: IpfoError): number {
  if (error instanceof ConfigError) return EXIT.config
  if (error instanceof AddressError) return EXIT.address
  if (error instanceof ControlError) return EXIT.control
  return EXIT.failure
}
