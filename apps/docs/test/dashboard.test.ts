import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import {
  catalogueExposition,
  type Dashboard,
  dashboardQueries,
  grafanaToPromql,
  knownSeriesNames,
  type Prometheus,
  prometheusSkipReason,
  readDashboard,
  seriesNamesIn,
  startPrometheus,
} from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DOCS } from './built-site.js'

const DASHBOARD_FILE = join(DOCS, 'public', 'monitoring', 'ipfo-dashboard.json')
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's placeholder, filled in on import
const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' }

const dashboard: Dashboard = readDashboard(DASHBOARD_FILE)
const panels = dashboard.panels.filter((p) => p.type !== 'row')
const queries = dashboardQueries(dashboard)

describe('the Grafana dashboard', () => {
  it('is importable: one Prometheus data source asked for on import, a title and a uid', () => {
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ])
    expect(dashboard.title).toBeTruthy()
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/)
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length)
  })

  it.each(panels)('$title: the data source, at least one query, a description, inside the grid', (panel) => {
    expect(panel.datasource).toEqual(DATASOURCE)
    expect(panel.targets?.length).toBeGreaterThan(0)
    for (const target of panel.targets ?? []) {
      expect(target.datasource).toEqual(DATASOURCE)
      expect(target.expr).toBeTruthy()
    }
    expect(panel.description).toBeTruthy()
    expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24)
  })

  it('has no two panels on the same grid cells', () => {
    const taken = new Map<string, string>()
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(taken.get(`${i},${j}`), `${panel.title} overlaps`).toBeUndefined()
          taken.set(`${i},${j}`, panel.title)
        }
    }
  })

  it('shows what the issue asks for', () => {
    const used = new Set(queries.flatMap((q) => seriesNamesIn(grafanaToPromql(q.expr))))
    for (const name of [
      'ipfo_address_held',
      'ipfo_peer_up',
      'ipfo_peer_last_heard_seconds',
      'ipfo_heartbeats_sent_total',
      'ipfo_heartbeats_received_total',
      'ipfo_heartbeats_dropped_total',
      'ipfo_acquires_total',
      'ipfo_releases_total',
      'ipfo_takeover_step_seconds_bucket',
      'ipfo_hook_runs_total',
      'ipfo_hook_duration_seconds_bucket',
      'ipfo_check_passing',
      'ipfo_quorum_lease_valid',
      'ipfo_heartbeat_timer_lag_seconds_bucket',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
    ])
      expect(used, name).toContain(name)
  })

  it.each(queries)('$where reads only metrics of the catalogue', ({ expr }) => {
    const known = knownSeriesNames()
    expect(seriesNamesIn(grafanaToPromql(expr)).filter((name) => !known.has(name))).toEqual([])
  })
})

const noPrometheus = prometheusSkipReason()

describe.skipIf(noPrometheus)(
  `its queries on a real Prometheus${noPrometheus ? ` (skipped: ${noPrometheus})` : ''}`,
  () => {
    let prometheus: Prometheus | undefined
    let agent: Server | undefined
    let tick = 0

    beforeAll(async () => {
      // Something shaped like an agent's endpoint: one series of every metric of the catalogue.
      agent = createServer((_, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        res.end(catalogueExposition(tick++))
      })
      await new Promise<void>((resolve) => agent?.listen(0, '127.0.0.1', resolve))
      const address = agent.address()
      const port = typeof address === 'object' && address ? address.port : 0
      prometheus = await startPrometheus({
        scrapeTargets: [{ job: 'ipfo', targets: [`127.0.0.1:${port}`] }],
        scrapeInterval: '250ms',
        evaluationInterval: '1s',
      })
      // Enough samples for a rate() over any range the dashboard asks.
      const p = prometheus
      await vi.waitFor(
        async () => expect(await p.vector('count_over_time(up{job="ipfo"}[1m]) >= 3')).toHaveLength(1),
        { timeout: 15_000, interval: 100 },
      )
    })

    afterAll(async () => {
      await prometheus?.stop()
      agent?.closeAllConnections()
      await new Promise((resolve) => agent?.close(resolve))
    })

    it.each(queries)('$where: Prometheus accepts it and finds a series', async ({ expr }) => {
      // A query Prometheus cannot parse rejects here with its own error (PrometheusApiError, bad_data).
      const data = await prometheus!.query(grafanaToPromql(expr))
      expect(data.resultType).toBe('vector')
      expect(data.result.length).toBeGreaterThan(0)
    })
  },
)
