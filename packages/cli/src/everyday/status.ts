import type { AgentStatus } from '@ipfo/core'
import { socketPath } from '../config/agent-paths.js'
import type { Output } from './output.js'

export interface AgentFlags {
  readonly config: string
  readonly socket?: string | undefined
}

/** The agent's status once, and for people, rendered. (`status --watch` is the oclif command's.) */
export async function showStatus(flags: AgentFlags, out: Output): Promise<AgentStatus> {
  const { controlRequest } = await import('@ipfo/core/control-client')
  const status = await controlRequest<AgentStatus>(await socketPath(flags), { method: 'status' })
  if (!out.json) out.log(await renderForPeople(status))
  return status
}

/** The renderer is loaded only for people: `status --json` is what scripts poll, so it starts lean. */
export async function renderForPeople(status: AgentStatus): Promise<string> {
  const [{ renderStatus }, { styleFor }] = await Promise.all([
    import('../render/status.js'),
    import('../render/style.js'),
  ])
  return renderStatus(status, styleFor(process.stdout, process.env))
}
