import type * as PromClient from 'prom-client'

/** The parts of prom-client the meter uses (its CommonJS module object, as `import()` gives it as default). */
export type PromClientModule = Pick<
  typeof PromClient,
  'Registry' | 'Counter' | 'Gauge' | 'Histogram' | 'collectDefaultMetrics'
>

let defaults: PromClient.Registry | undefined

/**
 * prom-client's process_* and nodejs_* metrics, in one registry for the whole process. Its
 * collectDefaultMetrics cannot be stopped (an event-loop delay monitor and a GC observer run for
 * good), so registering it again at every reload (SIGHUP stops and starts the agent) would leak
 * them: each meter merges this one registry instead.
 */
export function defaultMetricsRegistry(client: PromClientModule): PromClient.Registry {
  if (!defaults) {
    defaults = new client.Registry()
    client.collectDefaultMetrics({ register: defaults })
  }
  return defaults
}
