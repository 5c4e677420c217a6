import type { HeardPeer, OrderView } from '../model/advertised.js'
import type { EngineState, PeerView } from './state.js'

/**
 * Hearing through others (issue 20). Every heartbeat of version 3 lists the peers its sender hears
 * directly, how long ago it last did, and what each last said (state, held, fit). A node that cannot
 * hear a peer itself but hears one that does takes it for alive, and knows what it holds: a
 * partition between two nodes of three is not a death. Only direct hearing is relayed, so a report
 * is at most one hop old and never echoes back.
 */

/** The age written for a peer last heard longer ago than a heartbeat can say (u16 ms). */
const MAX_AGE_MS = 65_535

/** The peers this node hears directly now, and what they last said: the heard list of its heartbeats. */
export function heardView(s: EngineState, now: number): HeardPeer[] {
  const out: HeardPeer[] = []
  for (const p of Object.values(s.peers)) {
    if (p.state === null || p.incarnation === null || p.heldSentAt === null) continue
    let newest: number | null = null
    for (const name of s.linkNames) {
      const l = p.links[name]
      if (l?.up && l.lastSeen !== null && (newest === null || l.lastSeen > newest)) newest = l.lastSeen
    }
    if (newest === null) continue
    out.push({
      node: p.id,
      ageMs: Math.min(MAX_AGE_MS, Math.max(0, Math.round(now - newest))),
      incarnation: p.incarnation,
      sentAt: p.heldSentAt,
      state: p.state,
      detail: { held: p.held, fit: p.fit },
    })
  }
  return out
}

/**
 * A heartbeat's heard list, applied: each peer it names (not this node, not the sender) is heard of
 * at `now - ageMs`, and what it said is taken when newer than what this node has (a later
 * incarnation, or the same one sent later).
 */
export function applyHeard(
  s: EngineState,
  from: string,
  heard: readonly HeardPeer[],
  now: number,
): Readonly<Record<string, PeerView>> {
  let peers = s.peers
  for (const e of heard) {
    const peer = peers[e.node]
    if (e.node === s.self || e.node === from || peer === undefined) continue
    const seen = now - e.ageMs
    let next = peer
    // Only news counts: a heartbeat of the peer this node has not had itself (a later incarnation, or
    // sent later). The same last heartbeat heard by everyone (the peer died) refreshes nothing, so a
    // report never holds a death back: the sender heard it later than this node, not the peer later.
    const newer =
      peer.incarnation === null ||
      e.incarnation > peer.incarnation ||
      (e.incarnation === peer.incarnation && e.sentAt > (peer.heldSentAt ?? Number.NEGATIVE_INFINITY))
    if (newer && (peer.relay === null || seen > peer.relay.lastSeen)) {
      next = { ...next, relay: { lastSeen: seen, via: from, detail: e.detail !== null }, everHeard: true }
    }
    if (e.detail && newer) {
      const fitChanged = !sameList(peer.fit, e.detail.fit)
      next = {
        ...next,
        incarnation: e.incarnation,
        state: e.state,
        held: e.detail.held,
        heldSentAt: e.sentAt,
        ...(fitChanged ? { fit: e.detail.fit, fitSince: now } : {}),
      }
    }
    if (next !== peer) peers = { ...peers, [e.node]: next }
  }
  return peers
}

export function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Two views of the orders, the same in every owner, taker and address. */
export function sameOrders(a: readonly OrderView[] | null, b: readonly OrderView[]): boolean {
  if (a === null || a.length !== b.length) return false
  return a.every((o, i) => {
    const p = b[i]
    return (
      p !== undefined &&
      o.owner === p.owner &&
      sameList(o.takers, p.takers) &&
      sameList(o.addresses, p.addresses)
    )
  })
}
