import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { configSchema } from '@ipfo/core'
import { afterEach, describe, expect, it } from 'vitest'
import { checkMetrics } from './metrics-checks.js'

const config = (listen: string) =>
  configSchema.parse({
    node: 'b',
    key: '/etc/ipfo/key',
    links: [{ name: 'private', targets: ['10.1.0.1'] }],
    metrics: { listen },
  })

let server: Server | undefined
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

/** Something listening on a free loopback port, answering `status` on every path. */
async function listening(status: number): Promise<number> {
  server = createServer((_, response) => response.writeHead(status).end())
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

describe('checkMetrics', () => {
  it('says nothing without a metrics section', async () => {
    const bare = configSchema.parse({ node: 'b', key: 'k', links: [{ name: 'p', targets: ['10.1.0.1'] }] })
    expect(await checkMetrics(bare, false)).toEqual([])
  })

  it('passes loopback and warns about an address others can reach', async () => {
    const [local] = await checkMetrics(config('127.0.0.1:1'), true)
    expect(local).toMatchObject({ check: 'metrics exposure', verdict: 'pass' })
    const [open] = await checkMetrics(config('0.0.0.0:1'), true)
    expect(open).toMatchObject({
      check: 'metrics exposure',
      verdict: 'warn',
      detail: expect.stringContaining('has no authentication'),
      hint: expect.stringContaining('listen on 127.0.0.1'),
    })
  })

  it('fails a taken port without an agent, and asks a running agent for its metrics', async () => {
    const port = await listening(200)
    const [, taken] = await checkMetrics(config(`127.0.0.1:${port}`), false)
    expect(taken).toMatchObject({
      verdict: 'fail',
      detail: `TCP 127.0.0.1:${port} cannot be bound: is in use by another program (another agent on this machine?) (EADDRINUSE)`,
      hint: expect.stringContaining(`ss -tlnp 'sport = :${port}'`),
    })
    const [, answers] = await checkMetrics(config(`127.0.0.1:${port}`), true)
    expect(answers).toMatchObject({ verdict: 'pass', detail: `http://127.0.0.1:${port}/metrics answers` })
  })

  it("gives the agent's hint for an address not of this machine, and says reload where a reload applies", async () => {
    // TEST-NET-1: never an address of this machine.
    const [, absent] = await checkMetrics(config('192.0.2.1:9694'), false)
    expect(absent).toMatchObject({
      verdict: 'fail',
      detail: expect.stringContaining('is not an address of this machine (or not up yet) (EADDRNOTAVAIL)'),
      hint: expect.stringContaining('ip -br addr'),
    })
    const [, silent] = await checkMetrics(config('127.0.0.1:1'), true)
    expect(silent).toMatchObject({
      verdict: 'fail',
      hint: expect.stringContaining('systemctl reload ipfo / SIGHUP'),
    })
  })
})
