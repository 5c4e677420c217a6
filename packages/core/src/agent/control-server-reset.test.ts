// A client that goes away without reading the answer (an interrupted `ipfo status`) resets the
// agent's end of the connection: the agent must shrug that off, never throw it.
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Engine } from '../engine/engine-api.js'
import { controlRequest } from './control-client.js'
import { type ControlServer, startControlServer } from './control-server.js'

let server: ControlServer | undefined
let dir: string | undefined
afterEach(async () => {
  await server?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the control server, with clients that reset their connection', () => {
  it('stays up and answers the next client; nothing escapes as an uncaught error', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipfo-control-'))
    const path = join(dir, 'control.sock')
    // A large status, so that a client closing at once leaves most of it unread.
    const big = { node: 'a', note: 'x'.repeat(512 * 1024) }
    const engine = { status: () => big, recentEvents: () => [] } as unknown as Engine
    server = await startControlServer(path, engine)
    const escaped: unknown[] = []
    const onUncaught = (error: unknown) => escaped.push(error)
    process.on('uncaughtException', onUncaught)
    try {
      for (let i = 0; i < 50; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(path, () => {
            // Two requests, then gone: the agent is still writing the answers.
            socket.write('{"id":1,"method":"status"}\n{"id":2,"method":"status"}\n')
            setTimeout(() => {
              socket.destroy()
              resolve()
            }, 2)
          })
          socket.on('error', () => resolve())
        })
      }
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    expect(escaped).toEqual([])
    const status = await controlRequest<{ node: string }>(path, { method: 'status' })
    expect(status.node).toBe('a')
  })
})
