import type { DaemonCost } from '../cost.js'
import type { NodeName } from '../stage.js'
import { percentile, quantile } from '../stats.js'

/** One GET of a node's /metrics by the client's scraper (scraper.js). */
export interface Scrape {
  readonly node: NodeName
  /** When it was sent (wall clock, ms). */
  readonly at: number
  readonly ok: boolean
  /** Not sent: the node was still answering the previous one (Prometheus never overlaps a target's scrapes). */
  readonly skipped?: boolean
  /** Round trip, ms. */
  readonly ms?: number
  /** The `ipfo_metrics_render_seconds` of the answer: how long the agent's previous render held its loop. */
  readonly renderSeconds?: number
  readonly bytes?: number
}

/** The agent's heartbeat-timer counters (`ipfo status --json` `counters`), read at a window's edge. */
export interface LagCounters {
  readonly loopStalls: number
  readonly maxLoopLagMs: number
  readonly beatLag: {
    readonly boundsMs: readonly number[]
    readonly counts: readonly number[]
    readonly sumMs: number
  }
}

/**
 * The heartbeat timer's lag over a window, from the counters at its start and end. The agent keeps
 * a histogram in whole ms (bounds 0, 1, 2, 5, 10, ... 1000), so p50 and p99 are a bucket's upper
 * bound ("at most"); the mean is exact. The max is exact when the agent's all-time max grew in the
 * window or a stall (lag over the interval, logged with its length) says it; else it is the highest
 * bucket that filled ("at most", `maxExact` false).
 */
export interface LagWindow {
  readonly beats: number
  readonly p50Ms: number | null
  readonly p99Ms: number | null
  readonly meanMs: number | null
  readonly maxMs: number | null
  readonly maxExact: boolean
  readonly loopStalls: number
}

/** Each bucket's beats between two readings of the same agent. */
function bucketDiff(before: LagCounters, after: LagCounters): number[] {
  return after.beatLag.counts.map((n, i) => n - (before.beatLag.counts[i] ?? 0))
}

/** The bucket bound under which a share `q` of the beats fell; beyond the last bound, `overflow`. */
function bucketQuantile(
  bounds: readonly number[],
  counts: readonly number[],
  q: number,
  overflow: number | null,
) {
  const total = counts.reduce((a, b) => a + b, 0)
  if (total === 0) return null
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!
    if (seen >= q * total) return i < bounds.length ? bounds[i]! : overflow
  }
  return overflow
}

/**
 * The lag of a window over one or more agents (their histograms summed): `readings` are each agent's
 * counters at the start and end, `stalledMs` the lengths of the `loop-stalled` events they logged in it.
 */
export function lagWindow(
  readings: readonly { readonly before: LagCounters; readonly after: LagCounters }[],
  stalledMs: readonly number[] = [],
): LagWindow {
  const bounds = readings[0]?.after.beatLag.boundsMs ?? []
  const counts: number[] = []
  let sumMs = 0
  let loopStalls = 0
  const exact: number[] = [...stalledMs]
  for (const { before, after } of readings) {
    bucketDiff(before, after).forEach((n, i) => {
      counts[i] = (counts[i] ?? 0) + n
    })
    sumMs += after.beatLag.sumMs - before.beatLag.sumMs
    loopStalls += after.loopStalls - before.loopStalls
    if (after.maxLoopLagMs > before.maxLoopLagMs) exact.push(after.maxLoopLagMs)
  }
  const beats = counts.reduce((a, b) => a + b, 0)
  const exactMax = exact.length > 0 ? Math.max(...exact) : null
  const top = counts.findLastIndex((n) => n > 0)
  const bucketMax = top < 0 ? null : top < bounds.length ? bounds[top]! : exactMax
  // The exact max is the true one when it reaches the highest filled bucket; a stall logged just
  // outside the buckets' window cannot make it smaller than what the buckets saw.
  const maxExact = exactMax !== null && (bucketMax === null || exactMax > (bounds[top - 1] ?? -1))
  return {
    beats,
    p50Ms: bucketQuantile(bounds, counts, 0.5, exactMax),
    p99Ms: bucketQuantile(bounds, counts, 0.99, exactMax),
    meanMs: beats > 0 ? Math.round((sumMs / beats) * 1000) / 1000 : null,
    maxMs: maxExact ? exactMax : bucketMax,
    maxExact,
    loopStalls,
  }
}

export interface Spread {
  readonly n: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** p50 (interpolated), p99 (nearest rank) and max, to 3 decimals; undefined for no values. */
export function spread(xs: readonly number[]): Spread | undefined {
  if (xs.length === 0) return undefined
  const r = (x: number) => Math.round(x * 1000) / 1000
  return { n: xs.length, p50: r(quantile(xs, 0.5)), p99: r(percentile(xs, 99)), max: r(Math.max(...xs)) }
}

export interface ScrapeStats {
  readonly done: number
  /** Not answered 200 within ten intervals (refused, reset, timed out, another status). */
  readonly failed: number
  readonly skipped: number
  /** The renders the answers reported (ms); a render of 0 (the first, none before it) is left out. */
  readonly renderMs: Spread | undefined
  readonly roundTripMs: Spread | undefined
  readonly bytes: number | undefined
}

/** The scrapes sent within [from, to]. */
export function scrapeStats(scrapes: readonly Scrape[], from: number, to: number): ScrapeStats {
  const inWindow = scrapes.filter((s) => s.at >= from && s.at <= to)
  const done = inWindow.filter((s) => s.ok)
  const renders = done.flatMap((s) => (s.renderSeconds ? [s.renderSeconds * 1000] : []))
  const bytes = done.flatMap((s) => (s.bytes === undefined ? [] : [s.bytes]))
  return {
    done: done.length,
    failed: inWindow.filter((s) => !s.ok && !s.skipped).length,
    skipped: inWindow.filter((s) => s.skipped).length,
    renderMs: spread(renders),
    roundTripMs: spread(done.flatMap((s) => (s.ms === undefined ? [] : [s.ms]))),
    bytes: bytes.length > 0 ? quantile(bytes, 0.5) : undefined,
  }
}

/** What one window of one round measured (see scrape-round.ts). */
export interface WindowResult {
  /** unscraped: metrics on, nobody scraping (scraped settings only); idle: no load; stress: stress-ng. */
  readonly kind: WindowKind
  readonly seconds: number
  /** Each agent's CPU and RSS over the window (and the scraper's own, not counted in theirs). */
  readonly cost: { readonly a: DaemonCost; readonly b: DaemonCost; readonly scraper?: DaemonCost }
  /** Both agents' heartbeat timers. */
  readonly lag: LagWindow
  /** Times b put the VIP on its interface (a never failed). */
  readonly falseTakeovers: number
  /** `peer-lost` on either agent, and b's `acquiring` causes: nobody died, so each is false. */
  readonly peerLost: number
  readonly acquiring: Readonly<Record<string, number>>
  readonly scrapes?: ScrapeStats
  /** The witness (a timer in a process that is not ipfo): the stalls that were the machine's. */
  readonly machine?: MachineStalls
}

export interface MachineStalls {
  /** The witness's timer fired 5 ms late or more. */
  readonly witnessStalls: number
  readonly witnessMaxMs: number | null
  /** The agents' loop stalls the witness stalled in too. */
  readonly sharedLoopStalls: number
  /** `peer-lost` verdicts within deadAfter after a stall of the witness's. */
  readonly peerLostAfterMachineStall: number
}

export type WindowKind = 'unscraped' | 'idle' | 'stress'
export const WINDOW_KINDS: readonly WindowKind[] = ['unscraped', 'idle', 'stress']

/** One setting's round: its windows, one after the other on one fresh pair. */
export interface Round {
  readonly round: number
  readonly setting: string
  /** 1-minute load average when the round started, and how busy other work kept the CPU just before. */
  readonly loadAverage: number
  readonly busyPercentBefore: number
  readonly windows: readonly WindowResult[]
  readonly error?: string
}

/** Medians over a setting's rounds of one window kind, and the totals that must be zero. */
export interface WindowSummary {
  readonly setting: string
  readonly kind: WindowKind
  readonly rounds: number
  readonly falseTakeovers: number
  readonly peerLost: number
  readonly loopStalls: number
  /** Of the loop stalls, those the witness shared (the machine's); the witness's own, and its max. */
  readonly sharedLoopStalls: number
  readonly witnessStalls: number
  readonly witnessMaxMs: number | null
  readonly peerLostAfterMachineStall: number
  readonly beats: number
  readonly lagP50Ms: number | null
  readonly lagP99Ms: number | null
  readonly lagMeanMs: number | null
  /** Median of the rounds' max, and the largest of all. */
  readonly lagMaxMs: number | null
  readonly lagMaxOfAllMs: number | null
  readonly cpuPercent: {
    readonly a: number | null
    readonly b: number | null
    readonly scraper: number | null
  }
  readonly rssMb: { readonly a: number | null; readonly b: number | null }
  readonly scrapes?: {
    readonly done: number
    readonly failed: number
    readonly skipped: number
    /** Medians over the rounds of each round's p50, p99; max of all. */
    readonly renderP50Ms: number | null
    readonly renderP99Ms: number | null
    readonly renderMaxMs: number | null
    readonly roundTripP50Ms: number | null
    readonly bytes: number | null
  }
}

const median = (xs: readonly (number | null | undefined)[]): number | null => {
  const present = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
  return present.length === 0 ? null : Math.round(quantile(present, 0.5) * 1000) / 1000
}
const maxOf = (xs: readonly (number | null | undefined)[]): number | null => {
  const present = xs.filter((x): x is number => typeof x === 'number')
  return present.length === 0 ? null : Math.max(...present)
}
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

/** Every setting's windows, summed and medianed over its rounds, in the order the settings ran. */
export function summarizeRounds(rounds: readonly Round[]): WindowSummary[] {
  const settings = [...new Set(rounds.map((r) => r.setting))]
  return settings.flatMap((setting) =>
    WINDOW_KINDS.flatMap((kind) => {
      const ws = rounds
        .filter((r) => r.setting === setting)
        .flatMap((r) => r.windows.filter((w) => w.kind === kind))
      if (ws.length === 0) return []
      const scraped = ws.flatMap((w) => (w.scrapes ? [w.scrapes] : []))
      return [
        {
          setting,
          kind,
          rounds: ws.length,
          falseTakeovers: sum(ws.map((w) => w.falseTakeovers)),
          peerLost: sum(ws.map((w) => w.peerLost)),
          loopStalls: sum(ws.map((w) => w.lag.loopStalls)),
          sharedLoopStalls: sum(ws.map((w) => w.machine?.sharedLoopStalls ?? 0)),
          witnessStalls: sum(ws.map((w) => w.machine?.witnessStalls ?? 0)),
          witnessMaxMs: maxOf(ws.map((w) => w.machine?.witnessMaxMs)),
          peerLostAfterMachineStall: sum(ws.map((w) => w.machine?.peerLostAfterMachineStall ?? 0)),
          beats: sum(ws.map((w) => w.lag.beats)),
          lagP50Ms: median(ws.map((w) => w.lag.p50Ms)),
          lagP99Ms: median(ws.map((w) => w.lag.p99Ms)),
          lagMeanMs: median(ws.map((w) => w.lag.meanMs)),
          lagMaxMs: median(ws.map((w) => w.lag.maxMs)),
          lagMaxOfAllMs: maxOf(ws.map((w) => w.lag.maxMs)),
          cpuPercent: {
            a: median(ws.map((w) => w.cost.a.cpuPercent)),
            b: median(ws.map((w) => w.cost.b.cpuPercent)),
            scraper: median(ws.map((w) => w.cost.scraper?.cpuPercent)),
          },
          rssMb: { a: median(ws.map((w) => w.cost.a.rssMb)), b: median(ws.map((w) => w.cost.b.rssMb)) },
          ...(scraped.length > 0
            ? {
                scrapes: {
                  done: sum(scraped.map((s) => s.done)),
                  failed: sum(scraped.map((s) => s.failed)),
                  skipped: sum(scraped.map((s) => s.skipped)),
                  renderP50Ms: median(scraped.map((s) => s.renderMs?.p50)),
                  renderP99Ms: median(scraped.map((s) => s.renderMs?.p99)),
                  renderMaxMs: maxOf(scraped.map((s) => s.renderMs?.max)),
                  roundTripP50Ms: median(scraped.map((s) => s.roundTripMs?.p50)),
                  bytes: median(scraped.map((s) => s.bytes)),
                },
              }
            : {}),
        },
      ]
    }),
  )
}

export interface ScrapeRatio {
  readonly setting: string
  readonly kind: WindowKind
  /** The measure, e.g. "lag mean", "CPU a". */
  readonly measure: string
  readonly value: number | null
}

/** The scraped settings' medians over the baseline's, window by window (null where the baseline is 0). */
export function scrapeRatios(summaries: readonly WindowSummary[], baseline: string): ScrapeRatio[] {
  const measures: [string, (s: WindowSummary) => number | null][] = [
    ['lag mean', (s) => s.lagMeanMs],
    ['lag p99', (s) => s.lagP99Ms],
    ['lag max', (s) => s.lagMaxMs],
    ['CPU a', (s) => s.cpuPercent.a],
    ['CPU b', (s) => s.cpuPercent.b],
    ['RSS a', (s) => s.rssMb.a],
    ['RSS b', (s) => s.rssMb.b],
  ]
  return summaries
    .filter((s) => s.setting !== baseline)
    .flatMap((s) => {
      // The unscraped window is compared with the baseline's idle one: both have nobody scraping.
      const base = summaries.find(
        (b) => b.setting === baseline && b.kind === (s.kind === 'unscraped' ? 'idle' : s.kind),
      )
      if (!base) return []
      return measures.map(([measure, pick]) => {
        const num = pick(s)
        const den = pick(base)
        return {
          setting: s.setting,
          kind: s.kind,
          measure,
          value: num === null || den === null || den === 0 ? null : Math.round((num / den) * 100) / 100,
        }
      })
    })
}
