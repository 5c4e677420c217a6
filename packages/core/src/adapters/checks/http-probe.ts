import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { HealthResult } from '../../model/health.js'

/** How much of a body is read for `bodyMatch`: a health page, not a download. */
const MAX_BODY = 64 * 1024

export interface HttpTarget {
  readonly url: URL
  /** Statuses that mean healthy. */
  readonly expect: readonly number[]
  /** A text the body must contain (within its first 64 KB). */
  readonly bodyMatch?: string
  /** PEM certificates to trust for https, instead of the system's. */
  readonly ca?: string | Buffer
  readonly timeoutMs: number
}

/**
 * An `http`/`https` health check: a GET that must answer with an expected status (and, if asked,
 * contain a text) within the timeout. In the agent's own event loop, no process; no connection is
 * kept between runs, so a server that stopped accepting is seen at once.
 */
export function httpProbe(target: HttpTarget): Promise<HealthResult> {
  return new Promise((resolve) => {
    const https = target.url.protocol === 'https:'
    const request = (https ? httpsRequest : httpRequest)(target.url, {
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'ipfo-check', connection: 'close' },
      ...(https && target.ca !== undefined ? { ca: target.ca } : {}),
    })
    let settled = false
    const done = (result: HealthResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      resolve(result)
    }
    const timer = setTimeout(
      () => done({ ok: false, detail: `timed out after ${target.timeoutMs} ms` }),
      target.timeoutMs,
    )
    request.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, detail: error.code ?? error.message }),
    )
    request.once('response', (response) => {
      const status = response.statusCode ?? 0
      if (!target.expect.includes(status)) {
        response.resume()
        done({ ok: false, detail: `status ${status} (expected ${target.expect.join(' or ')})` })
        return
      }
      if (target.bodyMatch === undefined) {
        response.resume()
        done({ ok: true, detail: `HTTP ${status}` })
        return
      }
      const match = target.bodyMatch
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
        if (body.includes(match)) done({ ok: true, detail: `HTTP ${status}, body matched` })
        else if (body.length > MAX_BODY)
          done({ ok: false, detail: `body (first 64 KB) lacks ${JSON.stringify(match)}` })
      })
      response.once('end', () => done({ ok: false, detail: `body lacks ${JSON.stringify(match)}` }))
      response.once('error', (error) => done({ ok: false, detail: error.message }))
    })
    request.end()
  })
}
