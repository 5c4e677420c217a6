import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readHookEvent } from '../src/define-hook.js'
import { webhookHook } from '../src/hooks/webhook.js'
import { systemDeps } from '../src/main.js'
import { parseHookOptions } from '../src/sidecar.js'
import { invocation } from './hook-invocation.js'

interface Received {
  method: string
  headers: IncomingMessage['headers']
  body: Record<string, unknown>
}

let dir: string
let server: Server | undefined
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-webhook-'))
})
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function listen(answer: (res: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    req.on('end', () => {
      received.push({ method: req.method ?? '', headers: req.headers, body: JSON.parse(text) })
      answer(res)
    })
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ipfo`, received }
}

async function post(raw: Record<string, unknown>, env: Record<string, string> = {}) {
  const event = await readHookEvent(invocation().env, invocation().argv)
  return webhookHook.run(
    event,
    parseHookOptions(webhookHook, raw),
    systemDeps(env, { now: () => Date.UTC(2026, 10, 25) }),
  )
}

describe('webhook hook against a local HTTP server', () => {
  it('POSTs the event as JSON with a headline, and a bearer token from a file', async () => {
    const hook = await listen((res) => res.writeHead(204).end())
    const tokenFile = join(dir, 'token')
    await writeFile(tokenFile, 't0ken\n', { mode: 0o600 })
    const outcome = await post({ url: hook.url, tokenFile, headers: { 'x-team': 'ops' } })
    expect(outcome).toEqual({ ok: true, summary: `posted to ${new URL(hook.url).origin} (HTTP 204)` })
    const [request] = hook.received
    expect(request?.method).toBe('POST')
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t0ken',
      'x-team': 'ops',
    })
    expect(request?.body).toMatchObject({
      text: '[ipfo] b took over 192.168.1.100/24, fd00::100/64 from a',
      event: {
        action: 'acquire',
        phase: 'PostAcq',
        cidr: '192.168.1.100/24',
        node: 'b',
        peer: 'a',
        detectionMs: 3000,
      },
    })
  })

  it('takes the token from the environment, and sends none without one', async () => {
    const hook = await listen((res) => res.end('ok'))
    await post({ url: hook.url, tokenEnv: 'HOOK_TOKEN' }, { HOOK_TOKEN: 'from-env' })
    await post({ url: hook.url })
    expect(hook.received.map((r) => r.headers.authorization)).toEqual(['Bearer from-env', undefined])
  })

  it('fails on a non-2xx answer', async () => {
    const hook = await listen((res) => res.writeHead(503, 'Service Unavailable').end())
    expect(await post({ url: hook.url })).toEqual({
      ok: false,
      summary: `${new URL(hook.url).origin} answered HTTP 503 Service Unavailable`,
    })
  })

  it('gives up at its timeout', async () => {
    const hook = await listen(() => {})
    const started = Date.now()
    const outcome = await post({ url: hook.url, timeout: '200ms' })
    expect(outcome).toEqual({
      ok: false,
      summary: `${new URL(hook.url).origin} did not answer within 200 ms`,
    })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('fails clearly when nothing listens', async () => {
    const { url } = await listen(() => {})
    await new Promise((resolve) => server?.close(resolve))
    server = undefined
    const outcome = await post({ url })
    expect(outcome.ok).toBe(false)
    expect(outcome.summary).toMatch(/^cannot post to http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/)
  })

  it('refuses an inline token or Authorization header', () => {
    expect(() => parseHookOptions(webhookHook, { url: 'https://x', token: 'abc' })).toThrow(/secret inline/)
    expect(() =>
      parseHookOptions(webhookHook, { url: 'https://x', headers: { authorization: 'Bearer a' } }),
    ).toThrow(/secret inline/)
  })
})
