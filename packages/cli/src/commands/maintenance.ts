import * as Args from '@oclif/core/args'
import { AgentClientCommand } from '../base-command.js'

export default class Maintenance extends AgentClientCommand {
  static override summary = 'Turn maintenance mode on or off: no automatic takeover or failback while on.'
  static override examples = ['<%= config.bin %> maintenance on', '<%= config.bin %> maintenance off']
  static override args = { mode: Args.string({ options: ['on', 'off'], required: true }) }

  async run(): Promise<{ maintenance: boolean }> {
    const { args, flags } = await this.parse(Maintenance)
    const { maintenance } = await import('../everyday/agent-requests.js')
    return maintenance(flags, args.mode, this.output())
  }
}
