import type { Config } from '../config/schema.js'
import { type DecodeResult, decodeHeartbeat } from '../heartbeat/codec.js'
import type { KeyRing } from '../heartbeat/key-ring.js'
import type { ReplayGuard } from '../heartbeat/replay-guard.js'
import type { DropReason } from '../model/events.js'
import type { Clock, ReceivedPacket } from '../model/ports.js'
import type { HeartbeatInput } from '../state-machine/inputs.js'
import type { Emit } from './event-stream.js'
import type { Counters } from './status.js'

/** Each drop reason is reported at most this often: a flood must not become a log flood. */
const DROP_REPORT_EVERY_MS = 10_000

export interface PacketIntakeDeps {
  readonly config: Config
  readonly keys: KeyRing
  readonly clock: Clock
  readonly guard: ReplayGuard
  readonly counters: Counters
  readonly emit: Emit
  /** A packet passed the replay guard: its marks changed. */
  readonly accepted: () => void
  /** Heartbeats read in one turn of the event loop, in the order they were read. */
  readonly deliver: (beats: HeartbeatInput[]) => void
}

/**
 * From a datagram to a heartbeat the machine may judge: decoded and authenticated, from a configured
 * peer on a configured link, not a replay. Everything else is counted and reported as dropped.
 *
 * Heartbeats read in one turn of the event loop are delivered together just after it. A loop that
 * was busy (a GC pause, a starved CPU) finds several of each peer queued in its sockets: judged one
 * by one, the oldest (the peer holding nothing, say) could start a claim that the next, a moment
 * newer (the peer taking the addresses after all), would have stopped.
 */
export function packetIntake(deps: PacketIntakeDeps) {
  const { config, clock, counters } = deps
  const peerIds = new Set(config.peers.map((p) => p.id))
  const linkNames = config.links.map((l) => l.name)
  const dropReported = new Map<DropReason, number>()
  /** What each peer's last heartbeat said about itself, for status and `ipfo doctor`. */
  const peerWire = new Map<string, { intervalMs: number; clockOffsetMs: number }>()
  let pending: HeartbeatInput[] = []

  /** Why a decoded packet is not a heartbeat from a configured peer on a configured link. */
  function rejectionOf(decoded: DecodeResult): { reason: DropReason; detail: string } | undefined {
    if (!decoded.ok) return decoded
    const hb = decoded.heartbeat
    if (hb.node === config.node) return { reason: 'own-packet', detail: 'our own heartbeat (broadcast loop)' }
    if (!peerIds.has(hb.node)) return { reason: 'unknown-node', detail: `node "${hb.node}" is not in peers` }
    if (!linkNames.includes(hb.link))
      return { reason: 'malformed', detail: `link "${hb.link}" is not configured here` }
    return undefined
  }

  function drop(reason: DropReason, packet: ReceivedPacket, detail: string, link?: string): void {
    counters.dropped[reason] = (counters.dropped[reason] ?? 0) + 1
    const onLink = link === undefined ? undefined : counters.links[link]
    if (onLink) onLink.dropped[reason] = (onLink.dropped[reason] ?? 0) + 1
    if (reason === 'own-packet') return
    const last = dropReported.get(reason)
    const now = clock.now()
    if (last !== undefined && now - last < DROP_REPORT_EVERY_MS) return
    dropReported.set(reason, now)
    deps.emit({ kind: 'packet-dropped', reason, from: `${packet.from.address}:${packet.from.port}`, detail })
  }

  function flush(): void {
    const beats = pending
    pending = []
    if (beats.length > 0) deps.deliver(beats)
  }

  return {
    peerWire: peerWire as ReadonlyMap<string, { intervalMs: number; clockOffsetMs: number }>,
    onPacket(packet: ReceivedPacket): void {
      const decoded = decodeHeartbeat(packet.data, deps.keys)
      const rejection = rejectionOf(decoded)
      if (rejection || !decoded.ok) {
        if (rejection)
          drop(rejection.reason, packet, rejection.detail, decoded.ok ? decoded.heartbeat.link : undefined)
        return
      }
      const hb = decoded.heartbeat
      const fresh = deps.guard.accept(hb.node, hb.link, hb.incarnation, hb.seq)
      if (!fresh.ok) {
        drop('replay', packet, fresh.detail, hb.link)
        return
      }
      counters.received++
      const onLink = counters.links[hb.link]
      if (onLink) onLink.received[hb.node] = (onLink.received[hb.node] ?? 0) + 1
      deps.accepted()
      // A last word is stamped ahead of its sending (heartbeat-sender's WORD_HORIZON_MS): no reading
      // of the peer's clock from it (nor from a clean stop's goodbye, which says the same: the
      // offset shown stays the one of its last running heartbeat).
      const lastWord = hb.state === 'stopping' && hb.held.length === 0
      if (!lastWord)
        peerWire.set(hb.node, { intervalMs: hb.intervalMs, clockOffsetMs: hb.sentAt - clock.wallNow() })
      pending.push({
        peer: hb.node,
        link: hb.link,
        incarnation: hb.incarnation,
        restarted: fresh.restarted,
        sentAt: hb.sentAt,
        fit: hb.fit ?? null,
        state: hb.state,
        held: hb.held,
        orders: hb.orders ?? null,
        heard: hb.heard ?? null,
      })
      if (pending.length === 1) clock.afterIo(flush)
    },
    /** Delivers the heartbeats read so far now: whatever is judged next must see them first. */
    flush,
  }
}
