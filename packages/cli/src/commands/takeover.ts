import * as Args from '@oclif/core/args'
import { AgentClientCommand } from '../base-command.js'

export default class Takeover extends AgentClientCommand {
  static override summary = "Take over a node's addresses now, by hand."
  static override description =
    'Refused while another node holds them: run "ipfo release <owner>" there first. A peer\'s addresses taken by hand stay here until "ipfo release".'
  static override examples = ['<%= config.bin %> takeover a', '<%= config.bin %> takeover a --json']
  static override args = {
    owner: Args.string({
      description: 'the node whose addresses to take (a peer, or this node)',
      required: true,
    }),
  }

  async run(): Promise<{ owner: string; accepted: boolean }> {
    const { args, flags } = await this.parse(Takeover)
    const { takeover } = await import('../everyday/agent-requests.js')
    return takeover(flags, args.owner, this.output())
  }
}
