import type { Config } from '../config/schema.js'
import { peerTakers } from '../config/takers-schema.js'
import { encodeHeartbeat } from '../heartbeat/codec.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import { ordersConfigured } from '../state-machine/order.js'
import { ownersOf } from './machine-setup.js'

/**
 * Whether this node's heartbeats always fit in one datagram: the fullest one it could send holds
 * every address it may hold, is fit for all of them, carries its orders (with more than two nodes)
 * and names every peer as heard (each peer's detail may be left out; see heartbeat/codec.ts). An
 * issue, with where and how to fix it, when it would not: the agent would fail at its first beat.
 */
export function heartbeatRoomIssues(config: Config): { path: string; message: string }[] {
  const groups = ownersOf(config).filter((g) => g.addresses.length > 0)
  const addresses = groups.flatMap((g) => g.addresses)
  const takersOf = (owner: string): string[] | null => {
    if (owner === config.node) return config.takers ?? null
    const peer = config.peers.find((p) => p.id === owner)
    return peer ? peerTakers(config.node, peer) : null
  }
  const ordered = ordersConfigured(
    groups.map((g) => ({ owner: g.owner, takers: takersOf(g.owner) })),
    config.node,
  )
  if (addresses.length > 32) {
    return [
      {
        path: 'owns',
        message: `this node may hold ${addresses.length} addresses (its "owns" and every peer's "takeover"); a heartbeat names at most 32: spread them over more nodes, or take over fewer`,
      },
    ]
  }
  const orders = ordered
    ? groups.flatMap((g) => {
        const takers = takersOf(g.owner)
        return takers === null ? [] : [{ owner: g.owner, takers, addresses: g.addresses.map((a) => a.ip) }]
      })
    : null
  const heard = ordered
    ? config.peers.map((p) => ({
        node: p.id,
        ageMs: 0,
        incarnation: 0,
        sentAt: 0,
        state: 'healthy' as const,
        detail: null,
      }))
    : null
  try {
    encodeHeartbeat(
      {
        node: config.node,
        link: config.links.reduce((a, l) => (l.name.length > a.length ? l.name : a), ''),
        incarnation: 0,
        seq: 1,
        sentAt: 0,
        intervalMs: config.interval,
        state: 'healthy',
        held: addresses.map((a) => ({ ip: a.ip, prefix: a.prefix, family: a.family, status: 'held' })),
        fit: addresses.map((a) => a.ip),
        orders,
        heard,
      },
      keyRing(heartbeatKey(Buffer.alloc(32))),
    )
    return []
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    return [
      {
        path: 'peers',
        message: `this node's heartbeats would not fit in one datagram (${error.message}): use shorter node ids, fewer peers, or fewer addresses per node`,
      },
    ]
  }
}
