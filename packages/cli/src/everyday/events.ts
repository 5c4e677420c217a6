import type { IpfoEvent } from '@ipfo/core'
import { socketPath } from '../config/agent-paths.js'
import type { Output } from './output.js'
import type { AgentFlags } from './status.js'

/** How `ipfo events` prints one event: NDJSON with --json, else a line for people. */
export async function eventPrinter(json: boolean, out: Output): Promise<(e: IpfoEvent) => void> {
  if (json) return (e) => out.log(JSON.stringify(e))
  const [{ renderEvent }, { styleFor }] = await Promise.all([
    import('../render/events.js'),
    import('../render/style.js'),
  ])
  const style = styleFor(process.stdout, process.env)
  return (e) => out.log(renderEvent(e, style))
}

/** The agent's recent events, one a line. (`events --follow` is the oclif command's.) */
export async function showEvents(flags: AgentFlags & { readonly json: boolean }, out: Output): Promise<void> {
  const { controlRequest } = await import('@ipfo/core/control-client')
  const print = await eventPrinter(flags.json, out)
  for (const e of await controlRequest<IpfoEvent[]>(await socketPath(flags), { method: 'events' })) print(e)
}
