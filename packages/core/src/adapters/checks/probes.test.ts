import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createServer as createTcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { selfSignedCert } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { httpProbe } from './http-probe.js'
import { tcpProbe } from './tcp-probe.js'

/** Real sockets on loopback: what a `tcp` or `http` check sees of a service that works, refuses or hangs. */
const servers: { close(): void }[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

async function listening<T extends Server | ReturnType<typeof createTcpServer>>(server: T): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A port nothing listens on: one that was just closed. */
async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('tcp check', () => {
  it('passes when the port accepts, fails with the reason when nothing listens', async () => {
    const port = await listening(createTcpServer((socket) => socket.destroy()))
    expect(await tcpProbe({ host: '127.0.0.1', port, timeoutMs: 1000 })).toEqual({
      ok: true,
      detail: 'connected',
    })
    expect(await tcpProbe({ host: '127.0.0.1', port: await closedPort(), timeoutMs: 1000 })).toEqual({
      ok: false,
      detail: 'ECONNREFUSED',
    })
  })
})

describe('http check', () => {
  const service = (handler: Parameters<typeof createHttpServer>[1]) => listening(createHttpServer(handler))
  const url = (port: number, path = '/health') => new URL(`http://127.0.0.1:${port}${path}`)

  it('passes on an expected status, fails on another with what it got', async () => {
    const port = await service((req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503
      res.end('ok')
    })
    expect(await httpProbe({ url: url(port), expect: [200], timeoutMs: 1000 })).toEqual({
      ok: true,
      detail: 'HTTP 200',
    })
    expect(await httpProbe({ url: url(port, '/down'), expect: [200, 204], timeoutMs: 1000 })).toEqual({
      ok: false,
      detail: 'status 503 (expected 200 or 204)',
    })
  })

  it('checks the body when asked', async () => {
    const port = await service((_, res) => res.end('{"status":"degraded"}'))
    expect(
      await httpProbe({ url: url(port), expect: [200], bodyMatch: '"degraded"', timeoutMs: 1000 }),
    ).toMatchObject({
      ok: true,
    })
    expect(await httpProbe({ url: url(port), expect: [200], bodyMatch: '"up"', timeoutMs: 1000 })).toEqual({
      ok: false,
      detail: 'body lacks "\\"up\\""',
    })
  })

  it('fails a service that accepts but never answers, at its timeout, and one that is gone', async () => {
    const port = await service(() => {}) // never responds
    const started = Date.now()
    expect(await httpProbe({ url: url(port), expect: [200], timeoutMs: 100 })).toEqual({
      ok: false,
      detail: 'timed out after 100 ms',
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(await httpProbe({ url: url(await closedPort()), expect: [200], timeoutMs: 1000 })).toEqual({
      ok: false,
      detail: 'ECONNREFUSED',
    })
  })
})

describe('https check', () => {
  it('trusts the CA it is given, and refuses a certificate nothing vouches for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipfo-https-check-'))
    try {
      const { key, cert } = selfSignedCert(dir)
      const ca = cert
      const server = createHttpsServer({ key, cert }, (_, res) => res.end('ok'))
      const port = await listening(server)
      const url = new URL(`https://127.0.0.1:${port}/health`)
      expect(await httpProbe({ url, expect: [200], ca, timeoutMs: 2000 })).toEqual({
        ok: true,
        detail: 'HTTP 200',
      })
      const untrusted = await httpProbe({ url, expect: [200], timeoutMs: 2000 })
      expect(untrusted.ok).toBe(false)
      expect(untrusted.detail).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
