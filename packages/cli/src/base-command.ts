import { AddressError, ConfigError, ControlError, IpfoError } from '@ipfo/core/errors'
import { Command } from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, socketPath } from './config/agent-paths.js'
import { EXIT } from './exit-codes.js'

export { DEFAULT_CONFIG }

/**
 * The base of every ipfo command: `--json` everywhere (oclif's enableJsonFlag makes a command's return
 * value its JSON output) and one place that turns ipfo's typed errors into a message, a hint and a
 * documented exit code. No stack trace unless DEBUG is set.
 */
export abstract class IpfoCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    debug: Flags.boolean({ description: 'print stack traces of errors', helpGroup: 'GLOBAL' }),
  }

  protected override async catch(error: Error & { exitCode?: number; oclif?: unknown }): Promise<unknown> {
    const debug = Boolean(process.env.DEBUG) || this.argv.includes('--debug')
    if (error.oclif !== undefined) return super.catch(error)
    if (debug) {
      let stack = error.stack ?? String(error)
      for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
        stack += `\nCaused by: ${cause.stack}`
      process.stderr.write(`${stack}\n`)
      return this.exit(error instanceof IpfoError ? exitCodeFor(error) : EXIT.failure)
    }
    if (!(error instanceof IpfoError)) {
      // A bug or an unforeseen system error: one line, and how to see more.
      process.stderr.write(
        `ipfo: ${error.message}\nhint: run again with --debug for the stack trace, and please report it\n`,
      )
      return this.exit(EXIT.failure)
    }
    const where =
      error instanceof ConfigError && error.path && !error.message.includes('\n') ? ` (at ${error.path})` : ''
    const code = exitCodeFor(error)
    if (this.jsonEnabled()) {
      this.logJson({
        error: { kind: error.name, message: error.message, hint: error.hint ?? null, exitCode: code },
      })
    } else {
      // Written here, unwrapped: oclif would fold long lines at 80 columns, which breaks copy and paste.
      process.stderr.write(`ipfo: ${error.message}${where}\n${error.hint ? `hint: ${error.hint}\n` : ''}`)
    }
    return this.exit(code)
  }
}

/** Commands that talk to a running agent: they find its control socket from --socket or --config. */
export abstract class AgentClientCommand extends IpfoCommand {
  static override baseFlags = {
    ...IpfoCommand.baseFlags,
    config: Flags.string({
      char: 'c',
      description: "the agent's config file (to find its control socket)",
      default: DEFAULT_CONFIG,
    }),
    socket: Flags.string({
      description: "the agent's control socket (overrides the one in --config)",
      env: 'IPFO_SOCKET',
    }),
  }

  /** --socket, else `paths.socket` of --config (read without the schema), else the default. */
  protected socketPath(flags: { config: string; socket?: string | undefined }): Promise<string> {
    return socketPath(flags)
  }
}

function exitCodeFor(error: IpfoError): number {
  if (error instanceof ConfigError) return EXIT.config
  if (error instanceof AddressError) return EXIT.address
  if (error instanceof ControlError) return EXIT.control
  return EXIT.failure
}
