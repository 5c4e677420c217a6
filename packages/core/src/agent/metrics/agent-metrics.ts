import { createRequire } from 'node:module'
import { type MetricsConfig, parseListen } from '../../config/metrics-schema.js'
import type { Config } from '../../config/schema.js'
import type { AgentStatus } from '../../engine/status.js'
import type { ConfigError } from '../../model/errors.js'
import type { IpfoEvent } from '../../model/events.js'
import type { EventBody } from '../../state-machine/effects.js'
import { createMeter } from './meter.js'
import { type MetricsServer, startMetricsServer } from './metrics-server.js'

/** How often a metrics.listen that could not be bound is tried again. */
export const LISTEN_RETRY_MS = 5_000

export interface ListenOptions {
  /** The agent's status, read once per scrape. */
  readonly status: () => AgentStatus
  /** Runs a render right after the engine's next heartbeat (Engine.afterNextBeat). */
  readonly slot: (run: () => void) => void
  /** Where a binding failure goes: an `error` event, once per failure until it binds. */
  readonly report: (event: EventBody) => void
}

export interface AgentMetrics {
  /** For the agent's event fan-out; never throws. */
  onEvent(event: IpfoEvent): void
  /**
   * Binds the endpoint. A monitoring endpoint never takes failover down: a binding failure (a port
   * in use, an address not up yet) is reported and tried again every LISTEN_RETRY_MS, never thrown.
   * Until the engine has started (agent-started), scrapes get a 503.
   */
  listen(opts: ListenOptions): Promise<void>
  close(): Promise<void>
}

/**
 * The agent's Prometheus endpoint (config `metrics`). prom-client is loaded here, when the agent
 * starts and before heartbeats do (its import takes tens of ms): an agent without the section never
 * loads it. The meter exists from the start, so it counts the agent's first events.
 */
export async function agentMetrics(
  config: Config,
  metrics: MetricsConfig,
  file?: string,
): Promise<AgentMetrics> {
  const client = (await import('prom-client')).default
  let status: (() => AgentStatus) | undefined
  const meter = createMeter({
    config,
    client,
    status: () => {
      if (!status) throw new Error('the metrics endpoint is not listening yet')
      return status()
    },
    version: coreVersion(),
    defaultMetrics: metrics.defaultMetrics,
  })
  let server: MetricsServer | undefined
  let started = false
  let closed = false
  let retry: NodeJS.Timeout | undefined
  let reported: string | undefined
  return {
    onEvent(event) {
      if (event.kind === 'agent-started') started = true
      try {
        meter.onEvent(event)
      } catch {
        // A metric is never worth an event lost to the other sinks.
      }
    },
    async listen({ status: read, slot, report }) {
      const listen = parseListen(metrics.listen)
      if (!listen.ok) throw new Error(`metrics.listen: ${listen.reason}`)
      status = read
      const bind = async (): Promise<void> => {
        try {
          const bound = await startMetricsServer({
            host: listen.host,
            port: listen.port,
            path: metrics.path,
            contentType: meter.contentType,
            render: meter.render,
            slot,
            notReady: () =>
              started ? undefined : 'the agent is starting: its addresses are not reconciled yet',
            ...(file ? { file } : {}),
          })
          if (closed) await bound.close()
          else server = bound
        } catch (error) {
          const e = error as ConfigError
          // Loud once; the same failure every retry is not news.
          if (e.message !== reported)
            report({
              kind: 'error',
              message: `${e.message}; the endpoint is tried again every ${LISTEN_RETRY_MS / 1000} s, failover runs without it${e.hint ? ` (${e.hint}, then reload: systemctl reload ipfo or SIGHUP)` : ''}`,
              context: 'metrics endpoint',
            })
          reported = e.message
          if (!closed) {
            retry = setTimeout(() => void bind(), LISTEN_RETRY_MS)
            retry.unref()
          }
        }
      }
      await bind()
    },
    async close() {
      closed = true
      if (retry) clearTimeout(retry)
      await server?.close()
      server = undefined
    },
  }
}

/** @ipfo/core's version, for ipfo_info (the same relative path from src/ and dist/). */
function coreVersion(): string {
  const pkg = createRequire(import.meta.url)('../../../package.json') as { version?: string }
  return pkg.version ?? 'unknown'
}
