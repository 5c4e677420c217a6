import { IpfoError } from '@ipfo/core/errors'
import { Command } from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, socketPath } from './config/agent-paths.js'
import type { Output } from './everyday/output.js'
import { exitCodeFor, reportError } from './everyday/report-error.js'
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
    return this.exit(
      reportError(error, {
        json: this.jsonEnabled(),
        logJson: (value) => this.logJson(value),
        stderr: (text) => process.stderr.write(text),
      }),
    )
  }

  /** Where the everyday commands' shared bodies (src/everyday/) write: this command's log. */
  protected output(): Output {
    return { json: this.jsonEnabled(), log: (text) => this.log(text) }
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
