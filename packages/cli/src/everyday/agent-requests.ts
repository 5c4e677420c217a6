import type { controlRequest } from '@ipfo/core/control-client'
import { socketPath } from '../config/agent-paths.js'
import type { Output } from './output.js'
import type { AgentFlags } from './status.js'

async function request(flags: AgentFlags, body: Parameters<typeof controlRequest>[1]): Promise<void> {
  const client = await import('@ipfo/core/control-client')
  await client.controlRequest(await socketPath(flags), body)
}

/** `ipfo takeover <owner>`. */
export async function takeover(
  flags: AgentFlags,
  owner: string,
  out: Output,
): Promise<{ owner: string; accepted: boolean }> {
  await request(flags, { method: 'takeover', owner })
  out.log(`taking over ${owner}'s addresses; follow with "ipfo status"`)
  return { owner, accepted: true }
}

/** `ipfo release <owner>`. */
export async function release(
  flags: AgentFlags,
  owner: string,
  out: Output,
): Promise<{ owner: string; accepted: boolean }> {
  await request(flags, { method: 'release', owner })
  out.log(`releasing ${owner}'s addresses; follow with "ipfo status"`)
  return { owner, accepted: true }
}

/** `ipfo maintenance on|off`. */
export async function maintenance(
  flags: AgentFlags,
  mode: string,
  out: Output,
): Promise<{ maintenance: boolean }> {
  const on = mode === 'on'
  await request(flags, { method: 'maintenance', on })
  out.log(
    on
      ? 'maintenance mode ON: no automatic takeover or failback until "ipfo maintenance off"'
      : 'maintenance mode off',
  )
  return { maintenance: on }
}
