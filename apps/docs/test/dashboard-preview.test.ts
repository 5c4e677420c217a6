import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  etcdSkipReason,
  grafanaToPromql,
  type Prometheus,
  prometheusSkipReason,
  readDashboard,
  startPrometheus,
} from '@ipfo/testkit'
import { chromium } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS } from './browser.js'
import { DOCS } from './built-site.js'
import { CAPTION, legend, type PanelData, previewPage } from './preview/preview-page.js'
import { type RealPair, startRealPair } from './preview/real-pair.js'

/**
 * The dashboard's preview: every panel of ipfo-dashboard.json drawn from a live Prometheus's
 * query_range answers to the panel's own queries, while two real ipfo agents on loopback
 * (preview/real-pair.ts), with their quorum on a real etcd, go through a failover (a killed with
 * SIGKILL, b takes its address over once a's lease has expired), a failback (a started again takes
 * it back) and a health check failing on b for a moment. A
 * screenshot of it goes to test-artifacts/dashboard-preview.png. The docs show a copy
 * (public/monitoring/dashboard-preview.png): copy it there again when the dashboard changes.
 */
const dashboard = readDashboard(join(DOCS, 'public', 'monitoring', 'ipfo-dashboard.json'))
/** Why the test cannot run here (no Prometheus or no etcd); on CI, those throw instead. */
const missing = prometheusSkipReason() ?? etcdSkipReason()

/** Panels this pair cannot fill, and why: said on the panel, and checked to be empty. None now. */
const NO_DATA: Readonly<Record<string, string>> = {}

/** How long each phase is held before the next, so that Prometheus draws it (scrapes every 250 ms). */
const PHASE_S = 3

describe.skipIf(missing)(`the dashboard preview${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let pair: RealPair | undefined
  let prometheus: Prometheus | undefined
  afterAll(async () => {
    try {
      await prometheus?.stop()
    } finally {
      await pair?.close()
    }
  })

  it('draws every panel from its queries, from real agents through a failover and a failback', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`)
    const p = await startRealPair()
    pair = p
    const prom = await startPrometheus({
      scrapeTargets: [
        {
          job: 'ipfo',
          targets: [
            { address: p.targets.a, labels: { instance: 'a' } },
            { address: p.targets.b, labels: { instance: 'b' } },
          ],
        },
      ],
      scrapeInterval: '250ms',
      evaluationInterval: '1s',
    })
    prometheus = prom
    /** Polls until `probe` is true; on timeout, says what it waited for and what the agents said. */
    const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs
      while (!(await probe().catch(() => false))) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}\nagents:\n${p.log()}\nprometheus:\n${prom.log()}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    /** The one value of an instant query, as a number (NaN while it selects no series). */
    const value = async (promql: string) => {
      const samples = await prom.vector(promql)
      if (samples.length > 1) throw new Error(`${promql} selects ${samples.length} series, not one`)
      return Number(samples[0]?.value ?? Number.NaN)
    }
    /** Whether Prometheus has read `condition` true for `seconds` since `sinceMs` (scrapes every 250 ms). */
    const heldFor = async (condition: string, sinceMs: number, seconds: number) => {
      const window = Math.ceil((Date.now() - sinceMs) / 1000)
      return (await value(`count_over_time((${condition})[${window}s:250ms])`)) >= seconds * 4
    }
    const held = (node: string) => `ipfo_address_held{instance="${node}", address="${p.vip}"}`
    const hookRuns = (node: string, phase: string) =>
      `ipfo_hook_runs_total{instance="${node}", phase="${phase}", result="ok"}`
    /** A moment as the panels' time axis draws it (the page's time zone is UTC). */
    const at = (ms: number) => new Date(ms).toISOString().slice(11, 21)

    // Both up: a holds the VIP (b is started once it does, so that b's start is no takeover).
    await p.start('a')
    await until('a to hold the VIP', async () => (await p.holders()).join() === 'a')
    // The dashboard's time range starts here: before, a's agent was starting and served nothing.
    const start = Date.now()
    await p.start('b')
    const bStarted = Date.now()
    await until(
      'Prometheus to read a holding the VIP, b hearing a, both checks passing',
      async () =>
        (await value(held('a'))) === 1 &&
        (await value(held('b'))) === 0 &&
        (await value('ipfo_peer_up{instance="b", peer="a"}')) === 1 &&
        (await value('sum(ipfo_check_passing{check="web"})')) === 2,
    )
    expect(await value(`${hookRuns('a', 'PostAcq')}`)).toBe(1)
    const takeoversBefore = await value('ipfo_acquires_total{instance="b", owner="a", cause="peer-lost"}')
    await until(`${PHASE_S} s of both up`, () =>
      heldFor('ipfo_peer_up{instance="b", peer="a"} == 1', bStarted, PHASE_S),
    )

    // a crashes: b takes the VIP over.
    const killedAt = Date.now()
    await p.kill('a')
    // a's simulated adapter still lists the VIP (a released nothing): b holding it is what counts.
    await until('b to hold the VIP', async () => (await p.holders()).includes('b'), 10_000)
    const tookOverAt = Date.now()
    await until(
      "Prometheus to read b's takeover (held, counted, its PostAcq hook run) and a's scrape down",
      async () =>
        (await value(held('b'))) === 1 &&
        (await value('ipfo_peer_up{instance="b", peer="a"}')) === 0 &&
        // Acquires started: one, or two when b first finds a's etcd key still there (it waits for a's lease).
        (await value('ipfo_acquires_total{instance="b", owner="a", cause="peer-lost"}')) > takeoversBefore &&
        (await value('ipfo_takeover_step_seconds_count{instance="b", step="total"}')) >= 1 &&
        (await value(hookRuns('b', 'PostAcq'))) === 1 &&
        (await value('up{instance="a"}')) === 0,
    )
    await until(`${PHASE_S} s of b holding the VIP`, () => heldFor(`${held('b')} == 1`, killedAt, PHASE_S))

    // a comes back: it takes the VIP back, b lets it go (its PreRel hook runs).
    const restartedAt = Date.now()
    await p.start('a')
    await until('a to hold the VIP again', async () => (await p.holders()).join() === 'a', 15_000)
    const failedBackAt = Date.now()
    await until(
      'Prometheus to read the failback: a holds the VIP, b released it and ran its PreRel hook',
      async () =>
        (await value(held('a'))) === 1 &&
        (await value(held('b'))) === 0 &&
        (await value('sum(ipfo_releases_total{instance="b", owner="a"})')) >= 1 &&
        (await value(hookRuns('b', 'PreRel'))) === 1 &&
        (await value('up{instance="a"}')) === 1,
    )
    await until(`${PHASE_S} s of a holding it again`, () =>
      heldFor(`${held('a')} == 1`, restartedAt, PHASE_S),
    )

    // b's web server answers 503 for a moment: its check fails, then passes again.
    const checkFailedAt = Date.now()
    p.failCheck('b', true)
    await until(
      "Prometheus to read b's check failing",
      async () =>
        (await value('ipfo_check_passing{instance="b", check="web"}')) === 0 &&
        (await value('ipfo_check_failures_total{instance="b", check="web"}')) >= 2,
    )
    p.failCheck('b', false)
    const checkHealedAt = Date.now()
    await until(`${PHASE_S} s of b's check passing again`, () =>
      heldFor('ipfo_check_passing{instance="b", check="web"} == 1', checkHealedAt, PHASE_S),
    )
    expect(await p.holders()).toEqual(['a'])
    const end = Date.now()

    const data: PanelData[] = []
    for (const panel of dashboard.panels) {
      const series: PanelData['series'][number][] = []
      for (const target of panel.targets ?? []) {
        const answer = await prom.queryRange(
          grafanaToPromql(target.expr, '2s'),
          start / 1000,
          end / 1000,
          0.25,
        )
        for (const s of answer) {
          series.push({
            label: legend(target.legendFormat, s.metric),
            points: s.values.map(([t, v]) => [t, Number.isFinite(Number(v)) ? Number(v) : null]),
          })
        }
      }
      data.push({ id: panel.id, series, ...(NO_DATA[panel.title] ? { note: NO_DATA[panel.title] } : {}) })
    }
    // What the scenario did, as the panels draw it: the highest point of the series of that legend.
    const peak = (title: string, label: string) => {
      const panel = dashboard.panels.find((x) => x.title === title)
      const series = data.find((d) => d.id === panel?.id)?.series.filter((x) => x.label === label) ?? []
      if (series.length !== 1) throw new Error(`${title}: ${series.length} series named ${label}`)
      return Math.max(...series[0]!.points.map(([, v]) => v ?? Number.NEGATIVE_INFINITY))
    }
    expect(peak('Held addresses per node', 'a')).toBe(1)
    expect(peak('Held addresses per node', 'b')).toBe(1)
    expect(peak('Holders per address', p.vip)).toBe(1)
    expect(peak('Takeovers by cause', 'b: a (peer-lost)')).toBeGreaterThan(0)
    expect(peak('Releases by cause', 'b: a (failback)')).toBeGreaterThan(0)
    expect(peak('Peers up', 'b → a')).toBe(1)
    expect(peak('Last heard per link', 'b ← a via private')).toBeGreaterThan(1)
    expect(peak('Hook runs by result', 'PostAcq ok')).toBeGreaterThan(0)
    expect(peak('Hook runs by result', 'PreRel ok')).toBeGreaterThan(0)
    expect(peak('Hook duration (p90)', 'PostAcq')).toBeGreaterThan(0.1)
    expect(peak('Checks passing', 'b web (http)')).toBe(1)
    expect(peak('Check failures', 'b web')).toBeGreaterThan(0)
    expect(peak('Quorum lease', 'b valid')).toBe(1)
    expect(peak('Quorum lease', 'b valid for (s)')).toBeGreaterThan(0)
    expect(peak('Agent memory (RSS)', 'b')).toBeGreaterThan(0)

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC' })
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
      const subtitle =
        `Two ipfo agents, a and b, with two links (100 ms heartbeats, 300 ms detection), an http check, ` +
        `PostAcq and PreRel hooks that sleep, and a quorum on a one-member etcd (2 s lease). a killed (SIGKILL) at ${at(killedAt)}, b held the VIP at ` +
        `${at(tookOverAt)}; a started again at ${at(restartedAt)} and held it again at ${at(failedBackAt)}; ` +
        `b's check answered 503 from ${at(checkFailedAt)} to ${at(checkHealedAt)} (UTC).`
      const range = { from: start / 1000, to: end / 1000 }
      await page.setContent(previewPage(dashboard, data, subtitle, range), { waitUntil: 'load' })
      const drawn = await page.waitForFunction(() => (window as { __preview?: unknown }).__preview)
      const panels = dashboard.panels.filter((x) => x.type !== 'row').map((x) => x.title)
      const expectedEmpty = Object.keys(NO_DATA)
      expect(await drawn.jsonValue()).toEqual({
        drawn: panels.length,
        withData: panels.filter((t) => !expectedEmpty.includes(t)),
        empty: expectedEmpty,
      })
      expect(errors).toEqual([])
      expect(await page.locator('.caption').textContent()).toBe(CAPTION)
      expect(await page.locator('.note').allTextContents()).toEqual(Object.values(NO_DATA))
      await mkdir(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-preview.png'), fullPage: true })
    } finally {
      await browser.close()
    }
  }, 90_000)
})
