import { createServer, type Server } from 'node:net'
import { createInterface } from 'node:readline'
import type { IpfoEvent } from '@ipfo/core'
import { STATUS } from './status-fixture.js'

export const EVENTS: IpfoEvent[] = [
  {
    kind: 'peer-lost',
    time: Date.parse('2026-11-25T12:00:01.000Z'),
    peer: 'a',
    silentForMs: 300,
    links: ['private', 'public'],
  },
  {
    kind: 'acquired',
    time: Date.parse('2026-11-25T12:00:01.250Z'),
    owner: 'a',
    addresses: ['192.0.2.100/24'],
    durationMs: 12,
  },
]

/**
 * A control socket answering as an agent would, always the same: the status of status-fixture.ts,
 * two events, takeover/release of `a` accepted and of `c` refused, maintenance accepted.
 */
export async function startFakeAgent(path: string): Promise<Server> {
  const server = createServer((socket) => {
    createInterface({ input: socket }).on('line', (line) => {
      const request = JSON.parse(line) as { id: number; method: string; owner?: string }
      const answer = (result: unknown) =>
        socket.write(`${JSON.stringify({ id: request.id, ok: true, result })}\n`)
      const refuse = (error: string) =>
        socket.write(`${JSON.stringify({ id: request.id, ok: false, error })}\n`)
      if (request.method === 'status') answer(STATUS)
      else if (request.method === 'events') answer(EVENTS)
      else if (request.owner === 'c') refuse('c holds 192.0.2.102/24; run "ipfo release c" on c first')
      else answer(null)
    })
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return server
}
