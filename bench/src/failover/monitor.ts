import { ProcessGroup } from './process-group.js'
import { ALL_NODES, type NodeName, type Stage } from './stage.js'
import { mustUntil } from './wait.js'

export interface AddressEvent {
  readonly node: NodeName
  readonly kind: 'add' | 'del'
  /** The kernel event's time as `ip -ts monitor` stamped it (wall clock, ms). */
  readonly at: number
}

export interface NeighbourEvent {
  readonly at: number
  /** The client's link-layer address for the VIP; undefined for a deleted or failed entry. */
  readonly mac: string | undefined
  readonly state: string
}

/** A gratuitous ARP for the VIP (a request or reply with the VIP as sender), seen on the client's cable. */
export interface AnnouncementEvent {
  /** The kernel's capture time, as tcpdump stamped it (wall clock, ms). */
  readonly at: number
  /** The frame's source MAC: the node that announced. */
  readonly mac: string
}

/**
 * Netlink watchers, the benchmark's ground truth for who holds the VIP and when the client learned
 * where it went: `ip monitor address` in every node's namespace and `ip monitor neigh` in the client.
 */
export interface Monitors {
  readonly addresses: readonly AddressEvent[]
  readonly neighbours: readonly NeighbourEvent[]
  /**
   * Gratuitous ARPs for the VIP on the client's interface (tcpdump): the one step of a takeover whose
   * time does not depend on when a process on this busy host got to read it, for every system alike.
   */
  readonly announcements: readonly AnnouncementEvent[]
  stop(): Promise<void>
}

/** `[2026-11-25T12:23:49.622717] ...` (ip -ts, in UTC) -> epoch ms and the rest of the line. */
export function parseStamped(line: string): { at: number; rest: string } | undefined {
  const match = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})(\d*)\]\s*(.*)$/.exec(line)
  if (!match) return undefined
  const fraction = match[3] ? Number(`0.${match[3]}`) : 0
  return { at: Date.parse(`${match[1]}.${match[2]}Z`) + fraction, rest: match[4]! }
}

export function parseAddressLine(line: string, node: NodeName, vip: string): AddressEvent | undefined {
  const stamped = parseStamped(line)
  if (!stamped?.rest.includes(` inet ${vip}/`)) return undefined
  return { node, kind: stamped.rest.startsWith('Deleted') ? 'del' : 'add', at: stamped.at }
}

export function parseNeighbourLine(line: string, vip: string): NeighbourEvent | undefined {
  const stamped = parseStamped(line)
  if (!stamped) return undefined
  const deleted = stamped.rest.startsWith('Deleted ')
  const rest = deleted ? stamped.rest.slice('Deleted '.length) : stamped.rest
  if (!rest.startsWith(`${vip} `)) return undefined
  const mac = /lladdr ([0-9a-f:]{17})/.exec(rest)?.[1]
  const state = deleted ? 'DELETED' : (/([A-Z]+)\s*$/.exec(rest)?.[1] ?? '')
  return { at: stamped.at, mac: deleted ? undefined : mac, state }
}

/**
 * A line of `tcpdump -nn -tt -e arp` ("<epoch s.us> <src mac> > <dst mac>, ethertype ARP ...: Request
 * who-has <ip> (...) tell <ip>" or "Reply <ip> is-at <mac>") -> an announcement of `vip`, when the
 * frame is a gratuitous ARP for it: the VIP is its sender.
 */
export function parseAnnouncementLine(line: string, vip: string): AnnouncementEvent | undefined {
  const match =
    /^(\d+\.\d+) ([0-9a-f:]{17}) > .*ethertype ARP.*: (Request who-has (\S+) .*tell (\S+?),|Reply (\S+) is-at )/.exec(
      line,
    )
  if (!match) return undefined
  const gratuitous = match[6] === vip || (match[4] === vip && match[5] === vip)
  return gratuitous ? { at: Number(match[1]) * 1000, mac: match[2]! } : undefined
}

export async function startMonitors(stage: Stage): Promise<Monitors> {
  const addresses: AddressEvent[] = []
  const neighbours: NeighbourEvent[] = []
  const announcements: AnnouncementEvent[] = []
  const env = { ...process.env, TZ: 'UTC' }
  const holding = new Set<NodeName>()
  const groups = stage.nodes.map(
    (node) =>
      new ProcessGroup(`monitor-${node}`, ['ip', '-n', stage.ns(node), '-ts', '-o', 'monitor', 'address'], {
        env,
        keepLines: false,
        onLine: (line) => {
          const event = parseAddressLine(line.text, node, stage.vip)
          // Only changes of who holds it: a renewal of its lifetime (ipfo's, every 0.5 s) is reported
          // as another "add" of an address already there.
          if (event && (event.kind === 'add') !== holding.has(node)) {
            if (event.kind === 'add') holding.add(node)
            else holding.delete(node)
            addresses.push(event)
          }
        },
      }),
  )
  groups.push(
    new ProcessGroup('monitor-client', ['ip', '-n', stage.ns('client'), '-ts', 'monitor', 'neigh'], {
      env,
      keepLines: false,
      onLine: (line) => {
        const event = parseNeighbourLine(line.text, stage.vip)
        if (event) neighbours.push(event)
      },
    }),
  )
  const capture = new ProcessGroup(
    'monitor-announcements',
    ['ip', 'netns', 'exec', stage.ns('client'), 'tcpdump', '-i', 'pub0', '-nn', '-tt', '-e', '-l', 'arp'],
    {
      onLine: (line) => {
        const event = parseAnnouncementLine(line.text, stage.vip)
        if (event) announcements.push(event)
      },
    },
  )
  groups.push(capture)
  // ip prints nothing once it listens; give it a moment to open its netlink socket. tcpdump says so.
  await new Promise((resolve) => setTimeout(resolve, 100))
  try {
    await mustUntil(
      'tcpdump to listen on the client',
      () => {
        if (!capture.running) throw new Error(`tcpdump exited: ${capture.lines.map((l) => l.text).join(' ')}`)
        return capture.lines.some((l) => l.text.startsWith('listening on'))
      },
      10_000,
    )
  } catch (error) {
    // Nothing left running when the stage could not be watched.
    await Promise.all(groups.map((g) => g.kill()))
    throw error
  }
  capture.lines.length = 0
  return {
    addresses,
    neighbours,
    announcements,
    stop: async () => {
      await Promise.all(groups.map((g) => g.kill()))
    },
  }
}

/** Who held the VIP at `at`, replaying the address events from an empty start. */
export function holdersAt(events: readonly AddressEvent[], at: number): NodeName[] {
  const held = new Set<NodeName>()
  for (const e of [...events].sort((x, y) => x.at - y.at)) {
    if (e.at > at) break
    if (e.kind === 'add') held.add(e.node)
    else held.delete(e.node)
  }
  return ALL_NODES.filter((n) => held.has(n))
}

/** How long both nodes held the VIP at once within [from, to], from the address events. */
export function bothHeldMs(events: readonly AddressEvent[], from: number, to: number): number {
  const held = new Set<NodeName>()
  let total = 0
  let since: number | undefined
  const sorted = [...events].sort((x, y) => x.at - y.at)
  for (const e of sorted) {
    const before = held.size
    if (e.kind === 'add') held.add(e.node)
    else held.delete(e.node)
    if (before < 2 && held.size === 2) since = e.at
    if (before === 2 && held.size < 2 && since !== undefined) {
      total += Math.max(0, Math.min(e.at, to) - Math.max(since, from))
      since = undefined
    }
  }
  if (since !== undefined) total += Math.max(0, to - Math.max(since, from))
  return total
}
