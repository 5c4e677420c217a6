import { describe, expect, it } from 'vitest'
import { renderScrapeMarkdown, type ScrapeReport } from './scrape-report.js'
import {
  type LagCounters,
  lagWindow,
  type Round,
  type Scrape,
  scrapeRatios,
  scrapeStats,
  spread,
  summarizeRounds,
  type WindowResult,
} from './scrape-summary.js'
import { parseScrapeLine } from './start-scraper.js'

const BOUNDS = [0, 1, 2, 5, 10, 20, 50, 100, 250, 1000]
/** Counters with `counts` per bucket (the last one beyond 1000 ms). */
const counters = (counts: number[], sumMs: number, maxLoopLagMs = 0, loopStalls = 0): LagCounters => ({
  loopStalls,
  maxLoopLagMs,
  beatLag: { boundsMs: BOUNDS, counts: [...counts, ...Array(11 - counts.length).fill(0)], sumMs },
})

describe('the heartbeat lag of a window', () => {
  it('takes the window from the difference of the counters and sums the agents', () => {
    const a = { before: counters([100, 50], 50), after: counters([190, 100, 8, 2], 50 + 50 + 16 + 8) }
    const b = { before: counters([10], 0), after: counters([50], 0) }
    // Window: 130 beats at 0, 50 at 1, 8 at 2, 2 at <=5: p50 0, p99 5 (2 of 190 beats are over 1%), max <=5.
    expect(lagWindow([a, b])).toEqual({
      beats: 190,
      p50Ms: 0,
      p99Ms: 5,
      meanMs: Math.round((74 / 190) * 1000) / 1000,
      maxMs: 5,
      maxExact: false,
      loopStalls: 0,
    })
  })

  it('is exact about the max when a stall was logged, or the all-time max grew', () => {
    const before = counters([100], 0, 12, 1)
    const stalled = { before, after: counters([198, 0, 0, 0, 0, 2], 40, 12, 3) }
    expect(lagWindow([stalled], [18, 14])).toMatchObject({ maxMs: 18, maxExact: true, loopStalls: 2 })
    const grew = { before, after: counters([199, 0, 0, 0, 0, 0, 1], 33, 33, 2) }
    expect(lagWindow([grew])).toMatchObject({ maxMs: 33, maxExact: true, p99Ms: 0, loopStalls: 1 })
  })

  it('says nothing of a window without beats', () => {
    const same = counters([5], 0)
    expect(lagWindow([{ before: same, after: same }])).toMatchObject({
      beats: 0,
      p50Ms: null,
      meanMs: null,
      maxMs: null,
    })
  })
})

const scrape = (at: number, fields: Partial<Scrape> = {}): Scrape => ({ node: 'a', at, ok: true, ...fields })

describe('the scrapes of a window', () => {
  it('counts done, failed and skipped, and spreads the renders without the first (0)', () => {
    const scrapes = [
      scrape(0, { renderSeconds: 0, ms: 3, bytes: 100 }),
      scrape(100, { renderSeconds: 0.002, ms: 2, bytes: 100 }),
      scrape(200, { renderSeconds: 0.004, ms: 4, bytes: 120 }),
      scrape(300, { ok: false }),
      scrape(400, { ok: false, skipped: true }),
      scrape(900, { renderSeconds: 1 }),
    ]
    expect(scrapeStats(scrapes, 0, 500)).toEqual({
      done: 3,
      failed: 1,
      skipped: 1,
      renderMs: { n: 2, p50: 3, p99: 4, max: 4 },
      roundTripMs: { n: 3, p50: 3, p99: 4, max: 4 },
      bytes: 100,
    })
    expect(spread([])).toBeUndefined()
  })

  it("reads the scraper's lines", () => {
    const nodes = new Map([['http://10.0.1.1:9694/metrics', 'a' as const]])
    expect(parseScrapeLine('{"ready":true,"at":1}', nodes)).toBe('ready')
    expect(
      parseScrapeLine(
        '{"url":"http://10.0.1.1:9694/metrics","at":5,"ms":1.5,"ok":true,"status":200,"bytes":9,"render":0.001}',
        nodes,
      ),
    ).toEqual({ node: 'a', at: 5, ok: true, ms: 1.5, renderSeconds: 0.001, bytes: 9 })
    expect(parseScrapeLine('{"url":"http://10.0.1.9:9694/metrics","at":5,"ok":true}', nodes)).toBeUndefined()
    expect(parseScrapeLine('not json', nodes)).toBeUndefined()
  })
})

const cost = (cpuPercent: number) => ({ cpuPercent, rssMb: 100, processes: 2 })
const window = (
  kind: WindowResult['kind'],
  meanMs: number,
  fields: Partial<WindowResult> = {},
): WindowResult => ({
  kind,
  seconds: 20,
  cost: { a: cost(meanMs * 10), b: cost(5) },
  lag: { beats: 4000, p50Ms: 0, p99Ms: 2, meanMs, maxMs: meanMs * 10, maxExact: false, loopStalls: 0 },
  falseTakeovers: 0,
  peerLost: 0,
  acquiring: {},
  ...fields,
})
const round = (n: number, setting: string, windows: WindowResult[]): Round => ({
  round: n,
  setting,
  loadAverage: 1,
  busyPercentBefore: 10,
  windows,
})
const stats = (p50: number) => ({
  done: 200,
  failed: 1,
  skipped: 0,
  renderMs: { n: 200, p50, p99: p50 * 4, max: p50 * 10 },
  roundTripMs: { n: 200, p50: p50 + 1, p99: 9, max: 12 },
  bytes: 30_000,
})

describe('rounds summed and medianed', () => {
  const rounds = [
    round(1, 'ipfo-10ms', [window('idle', 0.2), window('stress', 1, { falseTakeovers: 1, peerLost: 2 })]),
    round(2, 'ipfo-10ms', [window('idle', 0.4), window('stress', 3)]),
    round(1, 'ipfo-10ms-scraped', [
      window('unscraped', 0.2),
      window('idle', 0.6, { scrapes: stats(1) }),
      window('stress', 2, {
        scrapes: stats(3),
        machine: { witnessStalls: 3, witnessMaxMs: 31, sharedLoopStalls: 2, peerLostAfterMachineStall: 1 },
      }),
    ]),
    round(2, 'ipfo-10ms-scraped', [
      window('unscraped', 0.4),
      window('idle', 0.8, { scrapes: stats(2) }),
      window('stress', 4, {
        scrapes: stats(5),
        machine: { witnessStalls: 1, witnessMaxMs: 12, sharedLoopStalls: 0, peerLostAfterMachineStall: 0 },
      }),
    ]),
    { ...round(3, 'ipfo-10ms-scraped', []), error: 'a did not come to hold the VIP' },
  ]
  const summary = summarizeRounds(rounds)

  it('gives medians of the rounds and totals of what must be zero', () => {
    expect(summary.map((s) => `${s.setting} ${s.kind}`)).toEqual([
      'ipfo-10ms idle',
      'ipfo-10ms stress',
      'ipfo-10ms-scraped unscraped',
      'ipfo-10ms-scraped idle',
      'ipfo-10ms-scraped stress',
    ])
    expect(summary[1]).toMatchObject({
      rounds: 2,
      falseTakeovers: 1,
      peerLost: 2,
      lagMeanMs: 2,
      lagMaxMs: 20,
    })
    expect(summary[4]).toMatchObject({
      sharedLoopStalls: 2,
      witnessStalls: 4,
      witnessMaxMs: 31,
      peerLostAfterMachineStall: 1,
    })
    expect(summary[3]).toMatchObject({ witnessStalls: 0, witnessMaxMs: null })
    expect(summary[4]!.scrapes).toEqual({
      done: 400,
      failed: 2,
      skipped: 0,
      renderP50Ms: 4,
      renderP99Ms: 16,
      renderMaxMs: 50,
      roundTripP50Ms: 5,
      bytes: 30_000,
    })
  })

  it('sets the scraped medians over the baseline, the unscraped window over its idle one', () => {
    const ratios = scrapeRatios(summary, 'ipfo-10ms')
    const of = (kind: string, measure: string) =>
      ratios.find((r) => r.kind === kind && r.measure === measure)?.value
    expect(of('idle', 'lag mean')).toBe(2.33)
    expect(of('unscraped', 'lag mean')).toBe(1)
    expect(of('stress', 'lag max')).toBe(1.5)
    expect(of('stress', 'lag p99')).toBe(1)
  })

  it('renders the page with the rounds, the ratios and the failed round', () => {
    const report: ScrapeReport = {
      kind: 'ipfo-metrics-scrape-benchmark',
      date: '2026-12-07T02:00:00.000Z',
      machine: {
        cpu: 'cpu',
        cores: 2,
        kernel: '6.1',
        os: 'Debian',
        node: 'v22',
        loadAverage: { start: 3, end: 4 },
      },
      versions: { ipfo: '0.1.0' },
      method: {
        rounds: 2,
        costSeconds: 20,
        stressSeconds: 60,
        stressWorkers: 2,
        baseline: 'ipfo-10ms',
        quietPercent: undefined,
      },
      settings: [],
      rounds,
      summary,
      ratios: scrapeRatios(summary, 'ipfo-10ms'),
    }
    const page = renderScrapeMarkdown(report)
    expect(page).toContain(
      '| ipfo-10ms-scraped | stress-ng --cpu 2 | 2 | 0 | 0 | 0 (2) | 4 (31) | 1 | 0 / 2 / 3 | 30; 40 |',
    )
    expect(page).toContain('| ipfo-10ms-scraped | idle | 2.33x |')
    expect(page).toContain('| 3 | ipfo-10ms-scraped | 10 | 1 | a did not come to hold the VIP |')
  })
})
