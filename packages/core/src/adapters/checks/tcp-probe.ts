import { connect } from 'node:net'
import type { HealthResult } from '../../model/health.js'

/**
 * A `tcp` health check: a connection to host:port is opened and closed at once. In the agent's own
 * event loop, no process: a few sockets' worth of work every interval.
 */
export function tcpProbe(target: { host: string; port: number; timeoutMs: number }): Promise<HealthResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port })
    const done = (result: HealthResult) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(
      () => done({ ok: false, detail: `timed out after ${target.timeoutMs} ms` }),
      target.timeoutMs,
    )
    socket.once('connect', () => done({ ok: true, detail: 'connected' }))
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ ok: false, detail: error.code ?? error.message }),
    )
  })
}
