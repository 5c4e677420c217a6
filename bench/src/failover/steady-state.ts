import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type DaemonCost, measureCost } from './cost.js'
import type { Daemons } from './daemons/create-daemons.js'
import { ProcessGroup } from './process-group.js'
import { startScraper } from './scrape/start-scraper.js'
import type { Setting } from './settings.js'
import { type NodeName, TOPOLOGY_NODES } from './stage.js'
import { sleep, wallNow } from './wait.js'
import { withStage } from './with-stage.js'

export interface StressResult {
  readonly seconds: number
  readonly workers: number
  readonly niced: boolean
  /** Times b put the VIP on its interface although a never failed. */
  readonly falseTakeovers: number
  /** Every VIP add or delete on either node during the stress and one second after it. */
  readonly addressChanges: number
  readonly holdersAfter: readonly NodeName[]
  /**
   * ipfo only: why b took the VIP during the window (its "acquiring" reasons, counted), and how many
   * health checks failed on either node (a check slowed past its timeout by the load makes a unfit).
   */
  readonly takeoverReasons?: Readonly<Record<string, number>>
  readonly checkFailures?: number
  /**
   * ipfo only: how often either agent's heartbeat timer ran late enough to say so ("loop-stalled"):
   * a false takeover with a stall beside it was the load holding up an agent, one without was the
   * packets'.
   */
  readonly loopStalls?: number
  /** The one of those timers that ran latest: on which node, how late, and the CPU the agent used meanwhile. */
  readonly longestStall?: { readonly node: NodeName; readonly stalledMs: number; readonly ranMs?: number }
  /** Quorum settings: how often either agent's lease lapsed ("quorum-lost"), say in an etcd election the load caused. */
  readonly quorumLost?: number
}

export interface SteadyStateResult {
  /** a holds the VIP, b watches; no probes run. */
  readonly cost: { readonly seconds: number; readonly a: DaemonCost; readonly b: DaemonCost }
  /** One window per count of stress-ng workers (none: not stressed). */
  readonly stress: readonly StressResult[]
}

export interface SteadyStateOptions {
  readonly startTimeoutMs: number
  readonly costSeconds: number
  /** 0: no stress window. */
  readonly stressSeconds: number
  /** One window per count of stress-ng workers (`--cpu N`). */
  readonly stressWorkers: readonly number[]
  /** Run the stressor at nice 19 (the smoke run, which shares the machine with other tests). */
  readonly stressNiced: boolean
}

/**
 * One pair with no fault: first its idle cost, then (if asked) CPU stress, one window per worker
 * count, while the address watchers count ownership changes, which should be none.
 */
export function steadyState(setting: Setting, opts: SteadyStateOptions): Promise<SteadyStateResult> {
  return withStage(setting, opts.startTimeoutMs, async ({ stage, daemons, monitors }) => {
    // A scraped setting is scraped throughout (bench:metrics-scrape reports the scrapes themselves).
    const scraper =
      setting.system === 'ipfo' && setting.metrics
        ? await startScraper(stage, setting.metrics.scrapeEveryMs)
        : undefined
    try {
      await sleep(1_000)
      const pids = { a: daemons.group('a')?.pid, b: daemons.group('b')?.pid }
      if (pids.a === undefined || pids.b === undefined)
        throw new Error(`${setting.id}: a daemon is not running`)
      const groups = async (node: 'a' | 'b', pgid: number) => [pgid, ...(await daemons.outliving(node))]
      const cost = await measureCost(
        { a: await groups('a', pids.a), b: await groups('b', pids.b) },
        opts.costSeconds,
      )

      const stressWindow = async (workers: number): Promise<StressResult> => {
        const from = wallNow()
        const command = [
          'stress-ng',
          '--cpu',
          String(workers),
          '--timeout',
          `${opts.stressSeconds}s`,
          '--quiet',
        ]
        const stressor = new ProcessGroup(
          'stress-ng',
          opts.stressNiced ? ['nice', '-n', '19', ...command] : command,
        )
        await stressor.wait()
        await sleep(1_000)
        const to = wallNow()
        const events = monitors.addresses.filter((e) => e.at >= from && e.at <= to)
        return {
          seconds: opts.stressSeconds,
          workers,
          niced: opts.stressNiced,
          falseTakeovers: events.filter((e) => e.node === 'b' && e.kind === 'add').length,
          addressChanges: events.length,
          holdersAfter: await stage.holders(),
          ...(setting.system === 'ipfo' ? agentEvents(daemons, from, to, setting.quorum !== undefined) : {}),
        }
      }

      // One window per worker count, in turn; each ends a second after its stressor.
      const stress: StressResult[] = []
      for (const workers of opts.stressSeconds > 0 ? opts.stressWorkers : []) {
        stress.push(await stressWindow(workers))
      }
      await keepLogs(setting, daemons)
      return { cost: { seconds: opts.costSeconds, a: cost.a!, b: cost.b! }, stress }
    } finally {
      await scraper?.stop()
    }
  })
}

/**
 * IPFO_BENCH_LOGS=<dir>: the pair's log lines (each stamped with the wall-clock ms it was read) go
 * to <dir>/<setting>-<node>.log at the window's end, for a look at what a false takeover came from;
 * with IPFO_BENCH_NODE_FLAGS="--trace-gc" the agents' collections are among them.
 */
async function keepLogs(setting: Setting, daemons: Daemons): Promise<void> {
  const dir = process.env.IPFO_BENCH_LOGS
  if (!dir) return
  await mkdir(dir, { recursive: true })
  for (const node of TOPOLOGY_NODES.pair)
    await writeFile(
      join(dir, `${setting.id}-${node}.log`),
      daemons
        .log(node)
        .map((l) => `${l.at} ${l.text}\n`)
        .join(''),
    )
}

/**
 * From the agents' JSON log lines within [from, to]: b's takeover reasons, the failed checks, the
 * late heartbeat timers, and with quorum the lapsed leases.
 */
function agentEvents(
  daemons: Daemons,
  from: number,
  to: number,
  quorum: boolean,
): {
  takeoverReasons: Record<string, number>
  checkFailures: number
  loopStalls: number
  longestStall?: { node: NodeName; stalledMs: number; ranMs?: number }
  quorumLost?: number
} {
  const events = (node: NodeName) =>
    daemons
      .log(node)
      .filter((l) => l.at >= from && l.at <= to)
      .flatMap((l) => {
        try {
          return [
            {
              node,
              ...(JSON.parse(l.text) as {
                kind?: string
                reason?: string
                stalledMs?: number
                ranMs?: number
              }),
            },
          ]
        } catch {
          return []
        }
      })
  const takeoverReasons: Record<string, number> = {}
  for (const e of events('b')) {
    if (e.kind !== 'acquiring') continue
    const reason = e.reason ?? 'unknown'
    takeoverReasons[reason] = (takeoverReasons[reason] ?? 0) + 1
  }
  const both = TOPOLOGY_NODES.pair.flatMap(events)
  const checkFailures = both.filter((e) => e.kind === 'check-failed').length
  const stalls = both.filter((e) => e.kind === 'loop-stalled' && typeof e.stalledMs === 'number')
  const loopStalls = stalls.length
  const longest = stalls.reduce<(typeof stalls)[number] | undefined>(
    (worst, e) => (worst === undefined || e.stalledMs! > worst.stalledMs! ? e : worst),
    undefined,
  )
  const longestStall = longest && {
    node: longest.node,
    stalledMs: longest.stalledMs!,
    ...(typeof longest.ranMs === 'number' ? { ranMs: longest.ranMs } : {}),
  }
  const quorumLost = both.filter((e) => e.kind === 'quorum-lost').length
  return {
    takeoverReasons,
    checkFailures,
    loopStalls,
    ...(longestStall ? { longestStall } : {}),
    ...(quorum ? { quorumLost } : {}),
  }
}
