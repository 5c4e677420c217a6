import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { CarrierWatch, CommandRunner, IpBatch } from '../model/ports.js'

export interface CarrierWatchOptions {
  readonly runner: CommandRunner
  /** The `ip` binary (iproute2). */
  readonly ip?: string
  /** Run inside this network namespace (`ip -n <ns>`): for tests and demos. */
  readonly netns?: string
  /**
   * The long-lived `ip -batch` (shared with the address control, in the same namespace) that runs
   * the neighbour flushes. Starting an `ip` blocks the agent's event loop while it forks, 5 ms or more
   * on a busy host; a cable back on two interfaces would cost two of them just when heartbeats must
   * go out on time. Without it, each flush is its own `ip`.
   */
  readonly batch?: IpBatch
  /** Something went wrong that the watch got over by itself (the monitor died and was restarted). */
  readonly onError?: (message: string) => void
  /** How long to wait before starting a monitor that exited; default 1 s. */
  readonly restartAfterMs?: number
}

/**
 * One line of `ip -o monitor link`: "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ...", or
 * "Deleted 2: eth0: <...> ...". Carrier is LOWER_UP: an interface set down has none either.
 */
export function parseMonitorLine(line: string): { iface: string; up: boolean } | undefined {
  const m = /^(Deleted )?\d+: ([^:@\s]+)(?:@[^:\s]*)?: <([^>]*)>/.exec(line)
  if (!m) return undefined
  return { iface: m[2]!, up: m[1] === undefined && m[3]!.split(',').includes('LOWER_UP') }
}

/** The carrier of every interface, from `ip -j link show`. */
export function parseLinkShow(json: string): Record<string, boolean> {
  const links = JSON.parse(json) as { ifname?: string; flags?: string[] }[]
  const out: Record<string, boolean> = {}
  for (const l of links) if (l.ifname) out[l.ifname] = (l.flags ?? []).includes('LOWER_UP')
  return out
}

/**
 * Carrier changes from a long-lived `ip -o monitor link`, so a pulled cable is known within
 * milliseconds without polling.
 *
 * When a carrier comes back, the interface's neighbour entries are flushed before the change is
 * reported: entries left half-resolved while the cable was out hold every unicast heartbeat until
 * the kernel's next ARP retry, up to a second later; flushed, the next heartbeat asks at once, and
 * its ARP request also unblocks the peer's own queued heartbeats.
 */
export function linuxCarrierWatch(opts: CarrierWatchOptions): CarrierWatch {
  const ip = opts.ip ?? 'ip'
  const ns = opts.netns === undefined ? [] : ['-n', opts.netns]
  const restartAfterMs = opts.restartAfterMs ?? 1_000
  let child: ChildProcess | undefined
  let closed = false
  let restartTimer: NodeJS.Timeout | undefined
  const known = new Map<string, boolean>()
  let watched: readonly string[] = []
  let report: (iface: string, up: boolean) => void = () => undefined
  /** Lines seen while a snapshot is being read: the snapshot is read again. */
  let sawLines = false
  /** Changes are applied one after another: a flush must not let a later "down" overtake an "up". */
  let chain: Promise<void> = Promise.resolve()

  const change = (iface: string, up: boolean) => {
    chain = chain.then(async () => {
      const was = known.get(iface)
      if (was === up || closed) return
      known.set(iface, up)
      if (up && was === false) {
        const flush = ['neigh', 'flush', 'dev', iface]
        const flushed = opts.batch
          ? await opts.batch.run(flush)
          : await opts.runner.run(ip, [...ns, ...flush])
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
      sawLines = false
      const result = await opts.runner.run(ip, [...ns, '-j', 'link', 'show'])
      if (result.exitCode !== 0)
        throw new Error(`ip -j link show: ${result.stderr.trim() || `exit ${result.exitCode}`}`)
      if (!sawLines || attempt >= 3) return parseLinkShow(result.stdout)
    }
  }

  const spawnMonitor = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const proc = spawn(ip, [...ns, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'pipe'] })
      child = proc
      let stderr = ''
      proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
        stderr = (stderr + c).slice(-1000)
      })
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        sawLines = true
        const parsed = parseMonitorLine(line)
        if (parsed) change(parsed.iface, parsed.up)
      })
      proc.once('spawn', () => resolve())
      proc.once('error', (error) => reject(new Error(`${ip} -o monitor link: ${error.message}`)))
      proc.once('exit', (code, signal) => {
        if (child === proc) child = undefined
        if (closed) return
        opts.onError?.(
          `${ip} -o monitor link exited (${stderr.trim() || signal || `code ${code}`}); restarting it`,
        )
        restartTimer = setTimeout(() => void restart(), restartAfterMs)
      })
    })

  const resync = (now: Record<string, boolean>) => {
    for (const iface of new Set([...known.keys(), ...watched])) change(iface, now[iface] ?? false)
  }

  const restart = async () => {
    restartTimer = undefined
    if (closed) return
    try {
      await spawnMonitor()
      resync(await snapshot())
    } catch (error) {
      opts.onError?.(error instanceof Error ? error.message : String(error))
      restartTimer = setTimeout(() => void restart(), restartAfterMs)
    }
  }

  return {
    async start(interfaces, onChange) {
      watched = [...interfaces]
      // The monitor first, then the snapshot: a change between the two is not missed.
      await spawnMonitor()
      const now = await snapshot()
      for (const [iface, up] of Object.entries(now)) known.set(iface, up)
      report = onChange
      return Object.fromEntries(watched.map((iface) => [iface, now[iface] ?? false]))
    },
    close() {
      closed = true
      if (restartTimer) clearTimeout(restartTimer)
      child?.kill()
      child = undefined
    },
  }
}
