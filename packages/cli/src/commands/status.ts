import type { AgentStatus } from '@ipfo/core'
import * as Flags from '@oclif/core/flags'
import { AgentClientCommand } from '../base-command.js'

export default class Status extends AgentClientCommand {
  static override summary = "Show the running agent's state: peers, links, held addresses, detection time."
  static override description =
    'With --watch, refreshes every second until Ctrl-C; with --json --watch, prints one JSON status per line (NDJSON).'
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json | jq .peers',
    '<%= config.bin %> status --watch',
  ]
  static override flags = {
    watch: Flags.boolean({ char: 'w', description: 'keep refreshing' }),
    every: Flags.integer({ description: 'refresh period with --watch, in ms', default: 1000, min: 50 }),
  }

  async run(): Promise<AgentStatus | undefined> {
    const { flags } = await this.parse(Status)
    const { renderForPeople: render, showStatus } = await import('../everyday/status.js')
    // Without --watch, the body the fast path in bin/run.js runs too.
    if (!flags.watch) return showStatus(flags, this.output())
    const { controlRequest } = await import('@ipfo/core/control-client')
    const path = await this.socketPath(flags)
    const fetch = () => controlRequest<AgentStatus>(path, { method: 'status' })
    let stop = false
    process.once('SIGINT', () => {
      stop = true
    })
    let status = await fetch()
    while (!stop) {
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(status)}\n`)
      // On a terminal, redraw in place; piped, append.
      else process.stdout.write(`${process.stdout.isTTY ? '\x1b[H\x1b[2J' : ''}${await render(status)}\n\n`)
      await new Promise((r) => setTimeout(r, flags.every))
      status = await fetch()
    }
    // The stream already printed every status; a final pretty copy would break NDJSON.
    return undefined
  }
}
