/**
 * The control protocol between the CLI and a running agent: newline-delimited JSON over a Unix
 * socket that only root can open. One request per line; one response per request, except `events`
 * with `follow`, which streams `{ "event": ... }` lines until the client hangs up.
 */
export type ControlRequest =
  | { id: number; method: 'status' }
  | { id: number; method: 'events'; follow?: boolean }
  | { id: number; method: 'takeover'; owner: string }
  | { id: number; method: 'release'; owner: string }
  | { id: number; method: 'maintenance'; on: boolean }

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }

export type ControlMethod = ControlRequest['method']

export function parseRequest(line: string): ControlRequest | { error: string } {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { error: 'request is not JSON' }
  }
  if (typeof value !== 'object' || value === null) return { error: 'request is not an object' }
  const r = value as Record<string, unknown>
  if (typeof r.id !== 'number') return { error: 'request has no numeric id' }
  switch (r.method) {
    case 'status':
      return { id: r.id, method: 'status' }
    case 'events':
      return { id: r.id, method: 'events', follow: r.follow === true }
    case 'takeover':
    case 'release':
      if (typeof r.owner !== 'string') return { error: `${r.method} needs an "owner"` }
      return { id: r.id, method: r.method, owner: r.owner }
    case 'maintenance':
      if (typeof r.on !== 'boolean') return { error: 'maintenance needs "on": true or false' }
      return { id: r.id, method: 'maintenance', on: r.on }
    default:
      return { error: `unknown method ${JSON.stringify(r.method)}` }
  }
}
