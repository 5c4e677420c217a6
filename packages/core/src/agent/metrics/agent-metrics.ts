import { createRequire } from 'node:module'
import { type MetricsConfig, parseListen } from '../../config/metrics-schema.js'
import type { Config } from '../../config/schema.js'
import type { AgentStatus } from '../../engine/status.js'
import type { IpfoEvent } from '../../model/events.js'
import { createMeter } from './meter.js'
import { type MetricsServer, startMetricsServer } from './metrics-server.js'

export interface AgentMetrics {
  /** For the agent's event fan-out; never throws. */
  onEvent(event: IpfoEvent): void
  /** Binds the endpoint; `status` is read once per scrape. A port in use is a ConfigError at metrics.listen. */
  listen(status: () => AgentStatus): Promise<void>
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
  return {
    onEvent(event) {
      try {
        meter.onEvent(event)
      } catch {
        // A metric is never worth an event lost to the other sinks.
      }
    },
    async listen(read) {
      const listen = parseListen(metrics.listen)
      if (!listen.ok) throw new Error(`metrics.listen: ${listen.reason}`)
      status = read
      server = await startMetricsServer({
        host: listen.host,
        port: listen.port,
        path: metrics.path,
        contentType: meter.contentType,
        render: meter.render,
        ...(file ? { file } : {}),
      })
    },
    async close() {
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
