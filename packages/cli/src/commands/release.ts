import * as Args from '@oclif/core/args'
import { AgentClientCommand } from '../base-command.js'

export default class Release extends AgentClientCommand {
  static override summary = "Release a node's addresses held here, by hand."
  static override description =
    'For a peer\'s addresses, this is a manual failback: the owner claims them once they are released. For this node\'s own addresses, they stay released until "ipfo takeover <this node>".'
  static override examples = ['<%= config.bin %> release a']
  static override args = {
    owner: Args.string({ description: 'the node whose addresses to release', required: true }),
  }

  async run(): Promise<{ owner: string; accepted: boolean }> {
    const { args, flags } = await this.parse(Release)
    const { release } = await import('../everyday/agent-requests.js')
    return release(flags, args.owner, this.output())
  }
}
