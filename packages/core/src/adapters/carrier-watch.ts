import type { CarrierWatch, CommandRunner, IpBatch } from '../model/ports.js'
import { ipMonitorLinks } from './carrier-ip-monitor.js'
import type { LinkSource } from './link-source.js'

export interface CarrierWatchOptions {
  /**
   * Runs the neighbour flushes: the agent's long-lived batch (rtnetlink, or `ip -batch`). Starting
   * an `ip` blocks the agent's event loop while it forks, 5 ms or more on a busy host; a cable back
   * on two interfaces would cost two of them just when heartbeats must go out on time.
   */
  readonly batch: IpBatch
  /** Something went wrong that the watch got over by itself (the stream died and was started again). */
  readonly onError?: (message: string) => void
  /** How long to wait before starting a stream that ended; default 1 s. */
  readonly restartAfterMs?: number
}

/**
 * Carrier changes as they happen, without polling, from `source`, so a pulled cable is known within
 * milliseconds.
 *
 * When a carrier comes back, the interface's neighbour entries are flushed before the change is
 * reported: entries left half-resolved while the cable was out hold every unicast heartbeat until
 * the kernel's next ARP retry, up to a second later; flushed, the next heartbeat asks at once, and
 * its ARP request also unblocks the peer's own queued heartbeats.
 */
export function carrierWatch(source: LinkSource, opts: CarrierWatchOptions): CarrierWatch {
  const restartAfterMs = opts.restartAfterMs ?? 1_000
  let closed = false
  let restartTimer: NodeJS.Timeout | undefined
  const known = new Map<string, boolean>()
  let watched: readonly string[] = []
  let report: (iface: string, up: boolean) => void = () => undefined
  /** Notices seen while a snapshot is being read: the snapshot is read again. */
  let sawNotices = false
  /** Changes are applied one after another: a flush must not let a later "down" overtake an "up". */
  let chain: Promise<void> = Promise.resolve()

  const change = (iface: string, up: boolean) => {
    chain = chain.then(async () => {
      const was = known.get(iface)
      if (was === up || closed) return
      known.set(iface, up)
      if (up && was === false) {
        const flushed = await opts.batch.run(['neigh', 'flush', 'dev', iface])
        if (flushed.exitCode !== 0 && !closed)
          opts.onError?.(
            `ip neigh flush dev ${iface}: ${flushed.stderr.trim() || `exit ${flushed.exitCode}`}`,
          )
      }
      if (watched.includes(iface) && !closed) report(iface, up)
    })
  }

  const snapshot = async (): Promise<Record<string, boolean>> => {
    for (let attempt = 0; ; attempt++) {
      sawNotices = false
      let now: Record<string, boolean>
      try {
        now = await source.snapshot()
      } catch (error) {
        // A dump that a notice broke in its middle (rtnetlink) fails: read it again, as when one
        // came beside it.
        if (attempt >= 3) throw error
        continue
      }
      if (!sawNotices || attempt >= 3) return now
    }
  }

  const listen = () =>
    source.listen(
      (iface, up) => {
        sawNotices = true
        change(iface, up)
      },
      (why) => {
        if (closed) return
        opts.onError?.(`${why}; restarting it`)
        restartTimer = setTimeout(() => void restart(), restartAfterMs)
      },
    )

  const resync = (now: Record<string, boolean>) => {
    for (const iface of new Set([...known.keys(), ...watched])) change(iface, now[iface] ?? false)
  }

  const restart = async () => {
    restartTimer = undefined
    if (closed) return
    try {
      await listen()
      resync(await snapshot())
    } catch (error) {
      opts.onError?.(error instanceof Error ? error.message : String(error))
      restartTimer = setTimeout(() => void restart(), restartAfterMs)
    }
  }

  return {
    async start(interfaces, onChange) {
      watched = [...interfaces]
      await listen()
      const now = await snapshot()
      for (const [iface, up] of Object.entries(now)) known.set(iface, up)
      report = onChange
      return Object.fromEntries(watched.map((iface) => [iface, now[iface] ?? false]))
    },
    close() {
      closed = true
      if (restartTimer) clearTimeout(restartTimer)
      source.close()
    },
  }
}

export interface IpCarrierWatchOptions extends Omit<CarrierWatchOptions, 'batch'> {
  readonly runner: CommandRunner
  /** The `ip` binary (iproute2). */
  readonly ip?: string
  /** Run inside this network namespace (`ip -n <ns>`): for tests and demos. */
  readonly netns?: string
  /** The agent's batch for the neighbour flushes; without it, each flush is its own `ip`. */
  readonly batch?: IpBatch
}

/** The carrier watch on a long-lived `ip -o monitor link` (the `ip-batch` address path). */
export function linuxCarrierWatch(opts: IpCarrierWatchOptions): CarrierWatch {
  const ip = opts.ip ?? 'ip'
  const ns = opts.netns === undefined ? [] : ['-n', opts.netns]
  const batch: IpBatch = opts.batch ?? {
    run: (args, runOpts) => opts.runner.run(ip, [...ns, ...args], runOpts),
    start: () => undefined,
    close: () => undefined,
  }
  return carrierWatch(ipMonitorLinks(opts.runner, ip, ns), { ...opts, batch })
}
