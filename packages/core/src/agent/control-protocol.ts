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
  /**
   * Debugging: a full collection, then `HeapAfterGc`, and a heap snapshot written in `snapshotDir`
   * when given. Refused unless the agent's node runs with --expose-gc.
   */
  | { id: number; method: 'gc'; snapshotDir?: string }

export type ControlResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }

export type ControlMethod = ControlRequest['method']

/** What `gc` answers: the agent's heap right after a full collection, for leak checks. */
export interface HeapAfterGc {
  pid: number
  heapUsedBytes: number
  /**
   * Of heapUsedBytes, V8's compiled code and bytecode with their metadata. It grows while V8 compiles
   * and optimises what runs often (the failover path, for hundreds of failovers), and is no leak.
   */
  codeBytes: number
  /** The heap snapshot written when the request gave a `snapshotDir` (mode 0600: it holds the key). */
  snapshot?: string
}

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
    case 'gc':
      if (r.snapshotDir === undefined) return { id: r.id, method: 'gc' }
      if (typeof r.snapshotDir !== 'string' || !r.snapshotDir.startsWith('/'))
        return { error: 'gc needs "snapshotDir" to be an absolute path' }
      return { id: r.id, method: 'gc', snapshotDir: r.snapshotDir }
    case 'maintenance':
      if (typeof r.on !== 'boolean') return { error: 'maintenance needs "on": true or false' }
      return { id: r.id, method: 'maintenance', on: r.on }
    default:
      return { error: `unknown method ${JSON.stringify(r.method)}` }
  }
}
