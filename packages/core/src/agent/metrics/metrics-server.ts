import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigError } from '../../model/errors.js'

export interface MetricsServerOptions {
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  readonly path: string
  /** The config file, named in a binding error. */
  readonly file?: string
  readonly contentType: string
  /** The exposition text; a render takes the agent's loop for its whole length (about a millisecond). */
  readonly render: () => Promise<string>
}

export interface MetricsServer {
  /** The port it listens on. */
  readonly port: number
  /** Stops listening and closes every connection, kept-alive ones too (Prometheus keeps them). */
  close(): Promise<void>
}

/**
 * Serves the metrics over plain HTTP: GET and HEAD on `path`, 404 elsewhere, 405 for other methods.
 * A render starts in setImmediate, once the poll phase has handed any heartbeat that came in to the
 * engine, so a scrape never goes before one; scrapes that arrive while one renders share it.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  let rendering: Promise<string> | undefined
  const render = () => {
    rendering ??= new Promise<void>((resolve) => setImmediate(resolve)).then(opts.render).finally(() => {
      rendering = undefined
    })
    return rendering
  }
  const server = createServer((request, response) => {
    void answer(request, response, opts, render)
  })
  server.maxConnections = 8
  server.headersTimeout = 5_000
  server.requestTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, opts)))
    server.listen({ host: opts.host, port: opts.port, exclusive: true }, () => {
      server.removeAllListeners('error')
      server.on('error', () => {})
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  opts: MetricsServerOptions,
  render: () => Promise<string>,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]
  if (path !== opts.path) return plain(response, 404, `not found; the metrics are at ${opts.path}\n`)
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD')
    return plain(response, 405, 'only GET and HEAD\n')
  }
  let text: string
  try {
    text = await render()
  } catch (error) {
    return plain(response, 500, `rendering the metrics failed: ${(error as Error).message}\n`)
  }
  response.writeHead(200, {
    'Content-Type': opts.contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  })
  response.end(request.method === 'HEAD' ? undefined : text)
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' })
  response.end(text)
}

/** Binding errors say what to change in the config. */
function listenError(error: NodeJS.ErrnoException, opts: MetricsServerOptions): Error {
  const where = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`
  const hints: Record<string, { problem: string; hint: string }> = {
    EADDRINUSE: {
      problem: 'is in use by another program (another agent on this machine?)',
      hint: `find it with "ss -tlnp 'sport = :${opts.port}'", or give metrics.listen another port`,
    },
    EADDRNOTAVAIL: {
      problem: 'is not an address of this machine',
      hint: 'use an address of one of its interfaces (ip -br addr), or 127.0.0.1',
    },
    EACCES: {
      problem: 'needs privileges to bind (a port under 1024)',
      hint: 'use a port of 1024 or more, such as 9694',
    },
  }
  const known = hints[error.code ?? '']
  return new ConfigError(
    `${opts.file ? `${opts.file}: ` : ''}metrics.listen: ${where} ${known?.problem ?? `cannot be bound: ${error.message}`}`,
    {
      ...(opts.file ? { file: opts.file } : {}),
      path: 'metrics.listen',
      hint: known?.hint ?? 'check metrics.listen',
    },
  )
}
