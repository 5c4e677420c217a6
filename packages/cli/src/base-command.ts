import { AddressError, ConfigError, ControlError, IpfoError } from '@ipfo/core'
import { Command, Errors } from '@oclif/core'
import { EXIT } from './exit-codes.js'

/**
 * The base of every ipfo command: `--json` everywhere (oclif's enableJsonFlag makes a command's return
 * value its JSON output) and one place that turns ipfo's typed errors into a one-line message, a hint
 * and a documented exit code. Stack traces only with --debug (DEBUG=*).
 */
export abstract class IpfoCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof IpfoError) {
      const where = error instanceof ConfigError && error.path ? ` (at ${error.path})` : ''
      const message = `${error.message}${where}`
      const exit = exitCodeFor(error)
      throw new Errors.CLIError(message, { exit, suggestions: error.hint ? [error.hint] : [] })
    }
    return super.catch(error)
  }
}

function exitCodeFor(error: IpfoError): number {
  if (error instanceof ConfigError) return EXIT.config
  if (error instanceof AddressError) return EXIT.address
  if (error instanceof ControlError) return EXIT.control
  return EXIT.failure
}
