import type { MetricSpec } from '@ipfo/core/agent'
import { code, page, table, text } from './markdown.js'

/** The metrics reference page (reference/metrics.md): one row per metric of the agent's catalogue. */
export function metricsReference(metrics: readonly MetricSpec[]): string {
  const intro = [
    'Every metric of the Prometheus endpoint an agent serves when its config has a',
    `[${code('metrics')} section](./config#metrics), read from the agent's own catalogue when the site`,
    'is built. Label values come only from the config (links, peers, addresses, checks, etcd',
    "endpoints) or from closed lists, so a cluster's number of series is fixed by its config. Counters",
    'start at 0 for every label value. How to scrape it, and queries to alert on: [Metrics](../operations/metrics).',
  ].join('\n')
  return page('Metrics reference', 'the catalogue of @ipfo/core (agent/metrics/catalogue.ts)', [
    intro,
    table(['Metric', 'Type', 'Labels', 'Meaning', 'Read from'], metrics.map(row)),
    [
      `With ${code('defaultMetrics: true')} (the default) prom-client's own ${code('process_*')} and`,
      `${code('nodejs_*')} metrics are served too: CPU, memory, open file descriptors, event-loop delay, GC.`,
    ].join('\n'),
  ])
}

function row(m: MetricSpec): string[] {
  const labels = Object.entries(m.labels)
    .map(([name, values]) => `${code(name)}: ${text(values)}`)
    .join('<br>')
  const buckets = m.buckets?.length ? ` Buckets (s): ${text(m.buckets.join(', '))}.` : ''
  return [code(m.name), m.type, labels || '-', `${text(m.help)}${buckets}`, text(m.source)]
}
