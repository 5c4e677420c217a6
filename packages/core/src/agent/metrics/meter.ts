import type * as PromClient from 'prom-client'
import type { Config } from '../../config/schema.js'
import type { AgentStatus } from '../../engine/status.js'
import type { IpfoEvent } from '../../model/events.js'
import { type Labels, METRICS, type MetricSpec } from './catalogue.js'
import { defaultMetricsRegistry, type PromClientModule } from './default-metrics.js'
import { eventCounters } from './event-counters.js'
import { snapshotValues } from './snapshot-values.js'

type Client = PromClientModule

export interface Meter {
  /** Counts an event of the agent's stream (never a rehearsal's). O(1): a switch on its kind. */
  onEvent(event: IpfoEvent): void
  /** The exposition text, from one status snapshot taken now. */
  render(): Promise<string>
  readonly contentType: string
}

export interface MeterOptions {
  readonly config: Config
  /** prom-client, loaded by the caller (only agents with a `metrics` section load it). */
  readonly client: Client
  /** The agent's status (the engine's, with the guard's): read once per render. */
  readonly status: () => AgentStatus
  readonly version: string
  /** Serve prom-client's process_* and nodejs_* metrics too (registered once per process). */
  readonly defaultMetrics: boolean
}

interface Value {
  readonly value: number
  readonly labels: Labels
  readonly metricName?: string
}

/**
 * The agent's metrics in a private registry: counters and histograms fed by events, created at 0
 * for every label set the catalogue allows, and the rest read from one status snapshot per render
 * by small collectors (a Counter has no set(), and the beat-lag histogram is already cumulative).
 */
export function createMeter(opts: MeterOptions): Meter {
  const { client, config } = opts
  const own = new client.Registry()
  let snapshot: AgentStatus | undefined
  let lastRenderSeconds = 0
  const counted = eventCounters(config, client, own)
  const values = snapshotValues(config, opts.version)
  for (const spec of METRICS) {
    if (counted.has(spec.name)) continue
    if (spec.name === 'ipfo_metrics_render_seconds') {
      register(own, spec, () => [{ value: lastRenderSeconds, labels: {} }])
      continue
    }
    const read = values[spec.name]
    if (!read) throw new Error(`no source for metric ${spec.name}`)
    register(own, spec, () => (snapshot ? read(snapshot) : []))
  }
  const registry = opts.defaultMetrics ? client.Registry.merge([defaultMetricsRegistry(client), own]) : own
  return {
    onEvent: counted.onEvent,
    contentType: registry.contentType,
    async render() {
      const started = performance.now()
      snapshot = opts.status()
      try {
        return await registry.metrics()
      } finally {
        snapshot = undefined
        lastRenderSeconds = (performance.now() - started) / 1000
      }
    },
  }
}

/**
 * A metric prom-client renders like its own (name, help, type, values), read when scraped. Typed
 * as prom-client's Metric only to pass registerMetric, which reads just these fields.
 */
function register(registry: PromClient.Registry, spec: MetricSpec, read: () => Value[]): void {
  const metric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator: 'sum',
    get: async () => ({
      name: spec.name,
      help: spec.help,
      type: spec.type,
      aggregator: 'sum',
      values: read(),
    }),
    reset: () => {},
  }
  registry.registerMetric(metric as unknown as PromClient.Metric)
}
