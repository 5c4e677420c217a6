/**
 * The metrics ipfo's agent exposes, by name, with their type and label names: the catalogue of
 * issue 22 (design §1.4), kept here in one place so the docs' dashboard and alert rules can be
 * checked against it (every name they use must be here), and, once the endpoint exists, this list
 * against a real agent's exposition. When the catalogue changes, change this list with it.
 */
export type MetricType = 'gauge' | 'counter' | 'histogram'

export interface MetricSpec {
  readonly type: MetricType
  readonly labels: readonly string[]
}

export const IPFO_METRICS = {
  ipfo_info: { type: 'gauge', labels: ['node', 'version'] },
  ipfo_agent_state: { type: 'gauge', labels: ['state'] },
  ipfo_heartbeat_interval_seconds: { type: 'gauge', labels: [] },
  ipfo_detection_seconds: { type: 'gauge', labels: [] },
  ipfo_heartbeats_sent_total: { type: 'counter', labels: ['link'] },
  ipfo_heartbeats_received_total: { type: 'counter', labels: ['link', 'peer'] },
  ipfo_heartbeats_dropped_total: { type: 'counter', labels: ['link', 'reason'] },
  ipfo_peer_last_heard_seconds: { type: 'gauge', labels: ['peer', 'link'] },
  ipfo_peer_link_up: { type: 'gauge', labels: ['peer', 'link'] },
  ipfo_peer_up: { type: 'gauge', labels: ['peer'] },
  ipfo_peer_link_anomaly: { type: 'gauge', labels: ['peer'] },
  ipfo_peer_indirect: { type: 'gauge', labels: ['peer'] },
  ipfo_peer_clock_offset_seconds: { type: 'gauge', labels: ['peer'] },
  ipfo_heartbeat_timer_lag_seconds: { type: 'histogram', labels: [] },
  ipfo_loop_stalls_total: { type: 'counter', labels: [] },
  ipfo_address_held: { type: 'gauge', labels: ['owner', 'address', 'interface'] },
  ipfo_resource_status: { type: 'gauge', labels: ['owner', 'status'] },
  ipfo_resource_fit_here: { type: 'gauge', labels: ['owner'] },
  ipfo_resource_no_node_fit: { type: 'gauge', labels: ['owner'] },
  ipfo_resource_blocked: { type: 'gauge', labels: ['owner'] },
  ipfo_acquires_total: { type: 'counter', labels: ['owner', 'cause'] },
  ipfo_releases_total: { type: 'counter', labels: ['owner', 'cause'] },
  ipfo_checklists_total: { type: 'counter', labels: ['action', 'outcome'] },
  ipfo_takeover_step_seconds: { type: 'histogram', labels: ['step'] },
  ipfo_hook_runs_total: { type: 'counter', labels: ['phase', 'result'] },
  ipfo_hook_duration_seconds: { type: 'histogram', labels: ['phase'] },
  ipfo_hooks_refused_total: { type: 'counter', labels: ['phase'] },
  ipfo_check_passing: { type: 'gauge', labels: ['check', 'kind'] },
  ipfo_check_runs_total: { type: 'counter', labels: ['check'] },
  ipfo_check_failures_total: { type: 'counter', labels: ['check'] },
  ipfo_check_last_run_age_seconds: { type: 'gauge', labels: ['check'] },
  ipfo_interface_carrier: { type: 'gauge', labels: ['interface'] },
  ipfo_quorum_lease_valid: { type: 'gauge', labels: [] },
  ipfo_quorum_lease_valid_for_seconds: { type: 'gauge', labels: [] },
  ipfo_quorum_keys_held: { type: 'gauge', labels: [] },
  ipfo_quorum_reachable: { type: 'gauge', labels: [] },
  ipfo_quorum_last_answered: { type: 'gauge', labels: ['endpoint'] },
  ipfo_guard_up: { type: 'gauge', labels: [] },
  ipfo_guard_restarts_total: { type: 'counter', labels: [] },
  ipfo_events_total: { type: 'counter', labels: ['kind'] },
  ipfo_metrics_render_seconds: { type: 'gauge', labels: [] },
} as const satisfies Record<string, MetricSpec>

/** prom-client's default metrics the docs use (`metrics.defaultMetrics: true`). */
export const PROCESS_METRICS = {
  process_cpu_seconds_total: { type: 'counter', labels: [] },
  process_resident_memory_bytes: { type: 'gauge', labels: [] },
  process_start_time_seconds: { type: 'gauge', labels: [] },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', labels: [] },
  nodejs_heap_size_used_bytes: { type: 'gauge', labels: [] },
} as const satisfies Record<string, MetricSpec>

/** Series Prometheus itself writes for every target and every alert rule. */
export const PROMETHEUS_SERIES = {
  up: { type: 'gauge', labels: [] },
  scrape_duration_seconds: { type: 'gauge', labels: [] },
  ALERTS: { type: 'gauge', labels: ['alertname', 'alertstate'] },
} as const satisfies Record<string, MetricSpec>

/** Every name a dashboard or rule of ipfo's docs may use: histograms with their `_bucket`, `_sum`, `_count`. */
export function knownSeriesNames(): Set<string> {
  const names = new Set<string>()
  for (const [name, spec] of Object.entries({ ...IPFO_METRICS, ...PROCESS_METRICS, ...PROMETHEUS_SERIES })) {
    if (spec.type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix)
    else names.add(name)
  }
  return names
}

/**
 * Exposition text with one series of every metric of the catalogue (and the process metrics),
 * every label set to `value`: something shaped like an agent's endpoint for Prometheus to scrape
 * before the endpoint exists, so that every dashboard query has a series to find. Counters and
 * histograms grow with `tick`, so rates are not all 0 once it has been scraped twice.
 */
export function catalogueExposition(tick = 0, value = 'x'): string {
  const lines: string[] = []
  for (const [name, spec] of Object.entries({ ...IPFO_METRICS, ...PROCESS_METRICS })) {
    const labels = spec.labels.map((label) => `${label}="${value}"`)
    const series = (suffix: string, more: string[] = []) => {
      const all = [...labels, ...more]
      return `${name}${suffix}${all.length > 0 ? `{${all.join(',')}}` : ''}`
    }
    lines.push(`# TYPE ${name} ${spec.type}`)
    if (spec.type === 'histogram') {
      for (const le of ['0.01', '0.1', '1', '+Inf'])
        lines.push(`${series('_bucket', [`le="${le}"`])} ${tick * 2}`)
      lines.push(`${series('_sum')} ${tick * 0.1}`, `${series('_count')} ${tick * 2}`)
    } else {
      lines.push(`${series('')} ${spec.type === 'counter' ? tick : 1}`)
    }
  }
  return `${lines.join('\n')}\n`
}
