import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  grafanaToPromql,
  type Prometheus,
  prometheusSkipReason,
  readDashboard,
  startPrometheus,
} from '@ipfo/testkit'
import { chromium } from 'playwright-core'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS } from './browser.js'
import { DOCS } from './built-site.js'
import { type FakeAgents, startFakeAgents } from './preview/fake-agents.js'
import { CAPTION, legend, type PanelData, previewPage } from './preview/preview-page.js'

/**
 * The dashboard's preview: every panel of ipfo-dashboard.json drawn from a live Prometheus's
 * query_range answers to the panel's own queries, through a failover of two stand-in agents, and
 * a screenshot of it in test-artifacts/dashboard-preview.png. The docs show a copy
 * (public/monitoring/dashboard-preview.png): copy it there again when the dashboard changes.
 */
const dashboard = readDashboard(join(DOCS, 'public', 'monitoring', 'ipfo-dashboard.json'))
const noPrometheus = prometheusSkipReason()

describe.skipIf(noPrometheus)(
  `the dashboard preview${noPrometheus ? ` (skipped: ${noPrometheus})` : ''}`,
  () => {
    let agents: FakeAgents | undefined
    let prometheus: Prometheus | undefined
    afterAll(async () => {
      await prometheus?.stop()
      await agents?.close()
    })

    it('draws every panel from its queries, with data, through a failover', async () => {
      if (!existsSync(CHROMIUM))
        throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`)
      const fake = await startFakeAgents({ failAtMs: 6_000, detectionMs: 3_000 })
      agents = fake
      const start = Date.now() / 1000
      const p = await startPrometheus({
        scrapeTargets: [
          {
            job: 'ipfo',
            targets: [
              { address: fake.targets[0], labels: { instance: 'alpha:9694' } },
              { address: fake.targets[1], labels: { instance: 'beta:9694' } },
            ],
          },
        ],
        scrapeInterval: '250ms',
        evaluationInterval: '1s',
      })
      prometheus = p
      // Beta took alpha's address over, and has said so for 4 s (16 scrapes) since.
      await vi.waitFor(
        async () => {
          const since = await p.vector(
            'count_over_time((ipfo_address_held{instance="beta:9694", owner="a"} == 1)[30s:250ms])',
          )
          expect(Number(since[0]?.value ?? 0)).toBeGreaterThanOrEqual(16)
        },
        { timeout: 40_000, interval: 250 },
      )
      expect(await p.vector('up{instance="alpha:9694"}')).toMatchObject([{ value: '0' }])
      const end = Date.now() / 1000

      const data: PanelData[] = []
      for (const panel of dashboard.panels) {
        const series: PanelData['series'][number][] = []
        for (const target of panel.targets ?? []) {
          const answer = await p.queryRange(grafanaToPromql(target.expr, '2s'), start, end, 0.25)
          for (const s of answer) {
            series.push({
              label: legend(target.legendFormat, s.metric),
              points: s.values.map(([t, v]) => [t, Number.isFinite(Number(v)) ? Number(v) : null]),
            })
          }
        }
        data.push({ id: panel.id, series })
      }

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_FLAGS,
      })
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
        const errors: string[] = []
        page.on('pageerror', (e) => errors.push(e.message))
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
        const subtitle =
          "Alpha's agent stops 6 s in (its endpoint closes); beta declares it lost after the 3 s detection time and takes its address over."
        await page.setContent(previewPage(dashboard, data, subtitle), { waitUntil: 'load' })
        const drawn = await page.waitForFunction(() => (window as { __preview?: unknown }).__preview)
        const panels = dashboard.panels.filter((x) => x.type !== 'row')
        expect(await drawn.jsonValue()).toEqual({ drawn: panels.length, withData: panels.length })
        expect(errors).toEqual([])
        expect(await page.locator('.caption').textContent()).toBe(CAPTION)
        await mkdir(ARTIFACTS, { recursive: true })
        await page.screenshot({ path: join(ARTIFACTS, 'dashboard-preview.png'), fullPage: true })
      } finally {
        await browser.close()
      }
    }, 90_000)
  },
)
