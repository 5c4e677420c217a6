import type { AgentStatus } from '@ipfo/core'
import { AgentClientCommand } from '../base-command.js'
import { renderStatus } from '../render/status.js'

export default class Status extends AgentClientCommand {
  static override summary = "Show the running agent's state: peers, links, held addresses, detection time."
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json | jq .peers']

  async run(): Promise<AgentStatus> {
    const { flags } = await this.parse(Status)
    const { controlRequest } = await import('@ipfo/core/node')
    const status = await controlRequest<AgentStatus>(await this.socketPath(flags), { method: 'status' })
    if (!this.jsonEnabled()) this.log(renderStatus(status))
    return status
  }
}
