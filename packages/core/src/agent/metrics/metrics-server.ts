import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigError } from '../../model/errors.js'
import { listenHint } from './listen-hints.js'

/** How long a render answers the scrapes after it: a client that hammers the endpoint gets the same text. */
export const RENDER_REUSE_MS = 250

export interface MetricsServerOptions {
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly port: number
  readonly path: string
  /** The config file, named in a binding error. */
  readonly file?: string
  readonly contentType: string
  /** The exposition text; a render takes the agent's loop for about 1 ms (6 with the default metrics). */
  readonly render: () => Promise<string>
  /**
   * When a render may start: the agent's is right after its next heartbeat is sent (the slack of
   * the interval), never between a heartbeat received and its processing. Default: two
   * setImmediate turns.
   */
  readonly slot?: (run: () => void) => void
  /** Why there is nothing to serve yet (the agent is starting): a 503 with this text. Called per request. */
  readonly notReady?: () => string | undefined
  /** A render is reused for the scrapes of the next this many ms (default RENDER_REUSE_MS). */
  readonly reuseMs?: number
  /** Milliseconds, for the reuse window (tests). Default performance.now. */
  readonly now?: () => number
}

export interface MetricsServer {
  /** The port it listens on. */
  readonly port: number
  /** Stops listening and closes every connection, kept-alive ones too (Prometheus keeps them). */
  close(): Promise<void>
}

const twoTurns = (run: () => void) => setImmediate(() => setImmediate(run))

/**
 * Serves the metrics over plain HTTP: GET and HEAD on `path`, 404 elsewhere, 405 for other methods,
 * 503 while `notReady` says so. A render starts in `slot` (after the agent's next heartbeat); scrapes
 * that arrive while one waits or renders share it, and those within `reuseMs` after it reuse its text.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const slot = opts.slot ?? twoTurns
  const now = opts.now ?? (() => performance.now())
  const reuseMs = opts.reuseMs ?? RENDER_REUSE_MS
  let rendering: Promise<string> | undefined
  let last: { text: string; at: number } | undefined
  const render = () => {
    if (last && now() - last.at < reuseMs) return Promise.resolve(last.text)
    rendering ??= new Promise<void>((resolve) => slot(resolve))
      .then(opts.render)
      .then((text) => {
        last = { text, at: now() }
        return text
      })
      .finally(() => {
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
  const notReady = opts.notReady?.()
  if (notReady !== undefined) {
    response.setHeader('Retry-After', '1')
    return plain(response, 503, `${notReady}\n`)
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
  const known = listenHint(error.code, opts.port)
  return new ConfigError(
    `${opts.file ? `${opts.file}: ` : ''}metrics.listen: ${where} ${known?.problem ?? `cannot be bound: ${error.message}`}`,
    {
      ...(opts.file ? { file: opts.file } : {}),
      path: 'metrics.listen',
      hint: known?.hint ?? 'check metrics.listen',
    },
  )
}
