import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../model/errors.js'
import { type MetricsServer, startMetricsServer } from './metrics-server.js'

const servers: MetricsServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function serve(
  render: () => Promise<string> = async () => 'ipfo_up 1\n',
  port = 0,
  more: Partial<Parameters<typeof startMetricsServer>[0]> = {},
) {
  const server = await startMetricsServer({
    host: '127.0.0.1',
    port,
    path: '/metrics',
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    render,
    reuseMs: 0,
    ...more,
  })
  servers.push(server)
  return server
}

function get(
  port: number,
  path: string,
  method = 'GET',
  agent?: HttpAgent,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, ...(agent ? { agent } : {}) }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the metrics server', () => {
  it('answers GET and HEAD on its path, 404 elsewhere and 405 for other methods', async () => {
    const { port } = await serve()
    const ok = await get(port, '/metrics')
    expect(ok).toMatchObject({ status: 200, body: 'ipfo_up 1\n' })
    expect(ok.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await get(port, '/metrics?x=1')).toMatchObject({ status: 200 })
    const head = await get(port, '/metrics', 'HEAD')
    expect(head).toMatchObject({ status: 200, body: '' })
    expect(head.headers['content-length']).toBe('10')
    expect(await get(port, '/')).toMatchObject({ status: 404 })
    expect(await get(port, '/metrics/x')).toMatchObject({ status: 404 })
    const post = await get(port, '/metrics', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })

  it('renders once for the scrapes that come while a render waits for its slot, and again for the next', async () => {
    let renders = 0
    let requests = 0
    // The slot opens only once all three requests were read: deterministic, however slow the machine.
    let open = () => {}
    const { port } = await serve(
      async () => {
        renders++
        return `render ${renders}\n`
      },
      0,
      {
        slot: (run) => {
          open = run
        },
        notReady: () => {
          requests++
          return undefined
        },
      },
    )
    const scrapes = [get(port, '/metrics'), get(port, '/metrics'), get(port, '/metrics')]
    await until(() => requests === 3)
    expect(renders).toBe(0)
    open()
    const bodies = (await Promise.all(scrapes)).map((r) => r.body)
    expect(bodies).toEqual(['render 1\n', 'render 1\n', 'render 1\n'])
    expect(renders).toBe(1)
    const next = get(port, '/metrics')
    await until(() => requests === 4)
    open()
    expect((await next).body).toBe('render 2\n')
  })

  it('reuses a render for the scrapes of the next reuseMs, then renders again', async () => {
    let renders = 0
    let now = 1_000
    const { port } = await serve(async () => `render ${++renders}\n`, 0, {
      reuseMs: 250,
      now: () => now,
    })
    expect((await get(port, '/metrics')).body).toBe('render 1\n')
    now += 249
    expect((await get(port, '/metrics')).body).toBe('render 1\n')
    now += 1
    expect((await get(port, '/metrics')).body).toBe('render 2\n')
    expect(renders).toBe(2)
  })

  it('starts a render only in its slot: never in the turn a request (or a heartbeat) was read', async () => {
    const order: string[] = []
    const { port } = await serve(
      async () => {
        order.push('render')
        return 'x\n'
      },
      0,
      {
        slot: (run) => {
          order.push('slot asked')
          // The agent's slot: right after its next heartbeat.
          setTimeout(() => {
            order.push('beat')
            run()
          }, 20)
        },
      },
    )
    await get(port, '/metrics')
    expect(order).toEqual(['slot asked', 'beat', 'render'])
  })

  it('answers 503 while not ready (the agent is starting), without rendering', async () => {
    let renders = 0
    let ready = false
    const { port } = await serve(async () => `render ${++renders}\n`, 0, {
      notReady: () => (ready ? undefined : 'the agent is starting'),
    })
    const starting = await get(port, '/metrics')
    expect(starting).toMatchObject({ status: 503, body: 'the agent is starting\n' })
    expect(renders).toBe(0)
    ready = true
    expect(await get(port, '/metrics')).toMatchObject({ status: 200, body: 'render 1\n' })
  })

  it('a 500 when the render fails', async () => {
    const { port } = await serve(async () => {
      throw new Error('status unavailable')
    })
    expect(await get(port, '/metrics')).toMatchObject({
      status: 500,
      body: expect.stringContaining('status unavailable'),
    })
  })

  it('closes at once with a kept-alive connection and a half-sent request open', async () => {
    const server = await serve()
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 })
    expect((await get(server.port, '/metrics', 'GET', agent)).status).toBe(200)
    // Not idle: server.close() alone would wait for it (headersTimeout, 5 s).
    const partial = connect(server.port, '127.0.0.1')
    await new Promise<void>((resolve) => partial.once('connect', () => resolve()))
    partial.write('GET /metrics HTTP/1.1\r\nHost: x\r\n')
    const ended = new Promise<void>((resolve) => partial.once('close', () => resolve()))
    await new Promise((r) => setTimeout(r, 50))
    const started = Date.now()
    await server.close()
    servers.splice(servers.indexOf(server), 1)
    expect(Date.now() - started).toBeLessThan(1_000)
    await ended
    agent.destroy()
  })

  it('says which field to change when the port is taken', async () => {
    const { port } = await serve()
    const error = await serve(undefined, port).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({
      path: 'metrics.listen',
      message: `metrics.listen: 127.0.0.1:${port} is in use by another program (another agent on this machine?)`,
      hint: expect.stringContaining('give metrics.listen another port'),
    })
  })
})

async function until(done: () => boolean): Promise<void> {
  const end = Date.now() + 5_000
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}
