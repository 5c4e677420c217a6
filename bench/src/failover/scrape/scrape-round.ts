import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { controlRequest } from '@ipfo/core/control-client'
import { costMeter } from '../cost.js'
import type { Daemons } from '../daemons/create-daemons.js'
import type { Monitors } from '../monitor.js'
import { ProcessGroup } from '../process-group.js'
import type { Setting } from '../settings.js'
import type { NodeName } from '../stage.js'
import { sleep, wallNow } from '../wait.js'
import { withStage } from '../with-stage.js'
import { justAfterStalls, type Stall, sharedStalls } from '../witness/shared-stalls.js'
import { startWitness, type Witness } from '../witness/start-witness.js'
import type { LagCounters, WindowKind, WindowResult } from './scrape-summary.js'
import { lagWindow, scrapeStats } from './scrape-summary.js'
import { type Scraper, startScraper } from './start-scraper.js'

export interface RoundOptions {
  readonly startTimeoutMs: number
  /** Each idle window (and, for a scraped setting, the unscraped one before it). */
  readonly costSeconds: number
  /** 0: no stress window. */
  readonly stressSeconds: number
  readonly stressWorkers: number
}

const PAIR: readonly NodeName[] = ['a', 'b']

/**
 * One round of one setting on a fresh pair (a holds the VIP, b watches, no fault): for a scraped
 * setting first a window with the endpoint on and nobody scraping, then the scraper starts; an idle
 * window; then `stress-ng --cpu <workers>`. Each window reads both agents' heartbeat-timer counters
 * (control socket) at its edges and their CPU and RSS, and counts what would be a false takeover.
 */
export function scrapeRound(setting: Setting, opts: RoundOptions): Promise<WindowResult[]> {
  if (setting.system !== 'ipfo') throw new Error(`${setting.id}: the scrape benchmark runs ipfo only`)
  return withStage(setting, opts.startTimeoutMs, async ({ daemons, monitors, stage, dir }) => {
    await sleep(1_000)
    const groups: Record<string, number[]> = {}
    for (const node of PAIR) {
      const pgid = daemons.group(node)?.pid
      if (pgid === undefined) throw new Error(`${setting.id}: the agent on ${node} is not running`)
      groups[node] = [pgid, ...(await daemons.outliving(node))]
    }
    const windows: WindowResult[] = []
    let scraper: Scraper | undefined
    const witness = await startWitness(
      setting.realtimePriority ? { agentsPriority: setting.realtimePriority } : {},
    )
    const ctx: WindowContext = {
      daemons,
      monitors,
      groups,
      witness,
      deadAfterMs: parseMs(setting.deadAfter),
      socket: (node) => join(dir, `${node}.sock`),
    }
    try {
      if (setting.metrics) {
        windows.push(await measureWindow(ctx, 'unscraped', opts.costSeconds))
        scraper = await startScraper(stage, setting.metrics.scrapeEveryMs)
        // The first scrapes load what a render touches for the first time.
        await sleep(1_000)
      }
      windows.push(await measureWindow({ ...ctx, scraper }, 'idle', opts.costSeconds))
      if (opts.stressSeconds > 0) {
        const stress = () =>
          new ProcessGroup('stress-ng', [
            'stress-ng',
            '--cpu',
            String(opts.stressWorkers),
            '--timeout',
            `${opts.stressSeconds}s`,
            '--quiet',
          ]).wait()
        windows.push(await measureWindow({ ...ctx, scraper }, 'stress', opts.stressSeconds, stress))
      }
    } finally {
      await scraper?.stop()
      await witness.stop()
      await keepLogs(setting.id, daemons)
    }
    return windows
  })
}

interface WindowContext {
  readonly daemons: Daemons
  readonly monitors: Monitors
  readonly groups: Readonly<Record<string, number[]>>
  readonly socket: (node: NodeName) => string
  readonly scraper?: Scraper | undefined
  /** A timer in a process that is not ipfo, for the stalls that are the machine's. */
  readonly witness: Witness
  readonly deadAfterMs: number
}

async function measureWindow(
  ctx: WindowContext,
  kind: WindowKind,
  seconds: number,
  load?: () => Promise<void>,
): Promise<WindowResult> {
  const readAll = () => Promise.all(PAIR.map((node) => readCounters(ctx.socket(node))))
  const from = wallNow()
  const before = await readAll()
  const meter = await costMeter({ ...ctx.groups, ...(ctx.scraper ? { scraper: [ctx.scraper.pgid] } : {}) })
  await (load ? load() : sleep(seconds * 1000))
  const cost = await meter.stop()
  const after = await readAll()
  const to = wallNow()
  // A VIP added late in the window shows up in ip monitor a moment later.
  await sleep(load ? 1_000 : 0)
  const events = PAIR.flatMap((node) => agentEvents(ctx.daemons, node, from, to))
  const acquiring: Record<string, number> = {}
  for (const e of events) {
    if (e.node !== 'b' || e.kind !== 'acquiring') continue
    const cause = e.cause ?? 'unknown'
    acquiring[cause] = (acquiring[cause] ?? 0) + 1
  }
  const agentStalls: Stall[] = events.flatMap((e) =>
    e.kind === 'loop-stalled' && typeof e.stalledMs === 'number' && e.time
      ? [{ at: Date.parse(e.time), ms: e.stalledMs }]
      : [],
  )
  const witnessStalls = ctx.witness.stalls.filter((w) => w.at >= from && w.at <= to)
  const lostAt = events.flatMap((e) => (e.kind === 'peer-lost' && e.time ? [Date.parse(e.time)] : []))
  return {
    kind,
    seconds: Math.round((to - from) / 100) / 10,
    machine: {
      witnessStalls: witnessStalls.length,
      witnessMaxMs: witnessStalls.length > 0 ? Math.max(...witnessStalls.map((w) => w.ms)) : null,
      sharedLoopStalls: sharedStalls(agentStalls, witnessStalls).length,
      // A verdict within deadAfter after the machine stopped: the silence was (at least partly) its.
      peerLostAfterMachineStall: justAfterStalls(lostAt, witnessStalls, ctx.deadAfterMs).length,
    },
    cost: { a: cost.a!, b: cost.b!, ...(cost.scraper ? { scraper: cost.scraper } : {}) },
    lag: lagWindow(
      PAIR.map((_, i) => ({ before: before[i]!, after: after[i]! })),
      events.flatMap((e) =>
        e.kind === 'loop-stalled' && typeof e.stalledMs === 'number' ? [e.stalledMs] : [],
      ),
    ),
    falseTakeovers: ctx.monitors.addresses.filter(
      (e) => e.node === 'b' && e.kind === 'add' && e.at >= from && e.at <= to + 1_000,
    ).length,
    peerLost: events.filter((e) => e.kind === 'peer-lost').length,
    acquiring,
    ...(ctx.scraper ? { scrapes: scrapeStats(ctx.scraper.scrapes, from, to) } : {}),
  }
}

/** "30ms", "1s" or a number of ms. */
function parseMs(value: string | number): number {
  if (typeof value === 'number') return value
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value)
  if (!m) throw new Error(`not a duration: ${value}`)
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1)
}

async function readCounters(socket: string): Promise<LagCounters> {
  const status = await controlRequest<{ counters: LagCounters }>(socket, { method: 'status' })
  return status.counters
}

interface LoggedEvent {
  readonly node: NodeName
  readonly kind?: string
  readonly cause?: string
  readonly stalledMs?: number
  /** The event's time (ISO), as the agent logged it. */
  readonly time?: string
}

/** The agent's JSON log lines read within [from, to]. */
function agentEvents(daemons: Daemons, node: NodeName, from: number, to: number): LoggedEvent[] {
  return daemons
    .log(node)
    .filter((l) => l.at >= from && l.at <= to)
    .flatMap((l) => {
      try {
        return [{ ...(JSON.parse(l.text) as Omit<LoggedEvent, 'node'>), node }]
      } catch {
        return []
      }
    })
}

/**
 * With IPFO_BENCH_LOG_DIR set, each agent's output (with the wall-clock ms each line came at) is
 * written there: for a look inside a run, e.g. with IPFO_BENCH_NODE_FLAGS=--trace-gc.
 */
async function keepLogs(id: string, daemons: Daemons): Promise<void> {
  const dir = process.env.IPFO_BENCH_LOG_DIR
  if (!dir) return
  await mkdir(dir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  for (const node of PAIR) {
    const text = daemons
      .log(node)
      .map((l) => `${l.at} ${l.text}`)
      .join('\n')
    await writeFile(join(dir, `${id}-${stamp}-${node}.log`), `${text}\n`)
  }
}
