import * as Flags from '@oclif/core/flags'
import { AgentClientCommand } from '../base-command.js'

export default class Events extends AgentClientCommand {
  static override summary = "Show the agent's recent events, or follow them live."
  static override description =
    "With --json, one JSON object per line (NDJSON), the same shape as the agent's log."
  static override examples = ['<%= config.bin %> events', '<%= config.bin %> events --follow --json']
  static override flags = { follow: Flags.boolean({ char: 'f', description: 'keep printing new events' }) }
  // NDJSON is printed as it comes, so the single-value --json output is not used.
  static override enableJsonFlag = false
  static override baseFlags = {
    ...AgentClientCommand.baseFlags,
    json: Flags.boolean({ description: 'print events as NDJSON' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Events)
    const { eventPrinter, showEvents } = await import('../everyday/events.js')
    // Without --follow, the body the fast path in bin/run.js runs too.
    if (!flags.follow) return showEvents(flags, this.output())
    const { followEvents } = await import('@ipfo/core/control-client')
    const print = await eventPrinter(flags.json, this.output())
    const path = await this.socketPath(flags)
    const abort = new AbortController()
    process.once('SIGINT', () => abort.abort())
    await followEvents(path, print, abort.signal)
  }
}
