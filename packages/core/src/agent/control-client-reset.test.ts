// The agent restarting (SIGHUP) or stopping while a request is on the wire: the client is reset,
// sometimes twice (its write fails, then its read), and answers with a ControlError each time.

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ControlError } from '../model/errors.js'
import { controlRequest } from './control-client.js'

let server: Server | undefined
let dir: string | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('a control request to an agent that goes away mid-request', () => {
  it('rejects with a ControlError, and no error escapes, however the connection is torn down', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ipfo-control-'))
    const path = join(dir, 'control.sock')
    // Reads part of the request, then closes with the rest unread: the client is reset.
    server = createServer((socket) => {
      socket.once('data', () => socket.destroy())
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => server?.listen(path, resolve))
    const escaped: unknown[] = []
    const onUncaught = (error: unknown) => escaped.push(error)
    process.on('uncaughtException', onUncaught)
    try {
      for (let i = 0; i < 200; i++) {
        const big = 'x'.repeat(256 * 1024)
        const result = await controlRequest(
          path,
          { method: 'takeover', owner: big },
          { timeoutMs: 2_000 },
        ).catch((e) => e)
        expect(result).toBeInstanceOf(ControlError)
      }
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      process.off('uncaughtException', onUncaught)
    }
    expect(escaped).toEqual([])
  })
})
