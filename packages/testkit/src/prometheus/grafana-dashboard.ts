import { readFileSync } from 'node:fs'

/**
 * The parts of a Grafana dashboard JSON the tests read (the docs' ipfo-dashboard.json): its queries,
 * and each as the PromQL Grafana would send, to run on a real Prometheus.
 */
export interface Dashboard {
  readonly __inputs: readonly { name: string; type: string; pluginId: string }[]
  readonly title: string
  readonly uid: string
  readonly panels: readonly Panel[]
  readonly annotations: { readonly list: readonly { name: string; expr?: string }[] }
  readonly templating: { readonly list: readonly { name: string; query: { query: string } }[] }
}

export interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly description?: string
  readonly datasource?: unknown
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } }
  readonly targets?: readonly { expr: string; legendFormat?: string; refId: string; datasource?: unknown }[]
}

export function readDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard
}

/** Every PromQL expression of the dashboard, with where it is: panel targets, annotations, variables. */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const targets = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ where: `${panel.title} (${t.refId})`, expr: t.expr })),
  )
  const annotations = dashboard.annotations.list.flatMap((a) =>
    a.expr ? [{ where: `annotation ${a.name}`, expr: a.expr }] : [],
  )
  // label_values(selector, label): the selector is the PromQL part.
  const variables = dashboard.templating.list.map((v) => ({
    where: `variable ${v.name}`,
    expr: /^label_values\((.*),\s*\w+\)$/.exec(v.query.query)?.[1] ?? v.query.query,
  }))
  return [...targets, ...annotations, ...variables]
}

/**
 * What Grafana sends for an expression: its range variables as a duration, the dashboard's
 * variables (job, instance) as "all" (`.*`, their `allValue`).
 */
export function grafanaToPromql(expr: string, rateInterval = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(job|instance)\}?/g, '.*')
}
