import type { OrderView } from '../model/advertised.js'
import type { Effect } from './effects.js'
import { saysUnfit } from './fitness.js'
import type { EngineState, PeerView, Resource } from './state.js'

/**
 * More than two nodes (issue 20). A resource's order is its owner, then its takers, first to last.
 * The one rule, computed by every node from what it hears: among the live, fit nodes of the order,
 * the first holds the addresses. A taker therefore takes only when the owner is lost (or unfit and
 * has let them go), nobody it hears holds them, and no node ahead of it in the order is alive and
 * fit (that one takes them, or is the reason nobody should: it still hears the owner). Liveness
 * includes peers heard only through others (PeerView.relay), so a taker cut off from the owner
 * alone does not take what the owner still holds.
 */

/** The resource's order: owner first. */
export function orderOf(r: Resource): string[] {
  return [r.owner, ...(r.takers ?? [])]
}

/** Whether the node may hold the resource's addresses by the order. */
export function inOrder(r: Resource, id: string): boolean {
  return id === r.owner || (r.takers?.includes(id) ?? false)
}

/**
 * A peer known alive only through another's report without what it holds (a heartbeat too full to
 * say it): nothing is known of what it holds or is fit for, so it counts as holding and as fit.
 */
export function unknownHolder(peer: PeerView): boolean {
  return peer.indirect && peer.relay?.detail === false
}

/**
 * Whether a peer ahead of this node in the order would take the resource (or keeps it from being
 * taken): alive, not in maintenance or stopping, and not saying it is unfit for it.
 */
function candidate(peer: PeerView | undefined, r: Resource): boolean {
  if (!peer?.alive) return false
  if (unknownHolder(peer)) return true
  if (peer.state === 'maintenance' || peer.state === 'stopping') return false
  return !saysUnfit(peer, r)
}

/** The first taker ahead of this node in the resource's order that would take it; undefined: none. */
export function candidateAhead(s: EngineState, r: Resource): string | undefined {
  const takers = r.takers ?? []
  const mine = takers.indexOf(s.self)
  for (const id of takers.slice(0, Math.max(mine, 0))) if (candidate(s.peers[id], r)) return id
  return undefined
}

/**
 * The first taker ahead of this node that a held resource goes back to (by the failback policy): heard,
 * healthy, and saying in its heartbeats that it is fit for the addresses. Undefined: none.
 */
export function returnedAhead(s: EngineState, r: Resource): PeerView | undefined {
  const takers = r.takers ?? []
  const mine = takers.indexOf(s.self)
  for (const id of takers.slice(0, Math.max(mine, 0))) {
    const p = s.peers[id]
    if (p?.alive && p.state === 'healthy' && p.fit !== null && !saysUnfit(p, r) && !unknownHolder(p)) return p
  }
  return undefined
}

/** What this node says of the orders it knows: one per resource whose order it knows. */
export function ordersView(s: EngineState): OrderView[] {
  const out: OrderView[] = []
  for (const r of Object.values(s.resources)) {
    if (r.takers === null) continue
    out.push({ owner: r.owner, takers: r.takers, addresses: r.addresses.map((a) => a.ip) })
  }
  return out
}

/**
 * How a live peer's view of the resource's order differs from this node's, in words; undefined when
 * they agree or the peer cannot tell. A peer that says nothing of an order it is a taker in (by this
 * node's view) disagrees: it would not take them.
 */
export function orderDisagreement(r: Resource, peer: PeerView): string | undefined {
  if (peer.orders === null || r.takers === null) return undefined
  // Judged at every step of the machine, on orders that rarely change: once per orders heard and
  // resource (whose takers and addresses never change while the machine runs).
  let byOwner = judged.get(peer.orders)
  if (byOwner === undefined) {
    byOwner = new Map()
    judged.set(peer.orders, byOwner)
  }
  const known = byOwner.get(r.owner)
  if (known?.takers === r.takers && known.addresses === r.addresses) return known.text
  const text = disagreement(r, r.takers, peer.id, peer.orders)
  byOwner.set(r.owner, { takers: r.takers, addresses: r.addresses, text })
  return text
}

/** orderDisagreement's answers by the peer's orders (as heard) and the owner of this node's resource. */
const judged = new WeakMap<
  readonly OrderView[],
  Map<string, { takers: readonly string[]; addresses: Resource['addresses']; text: string | undefined }>
>()

function disagreement(
  r: Resource,
  takers: readonly string[],
  peer: string,
  orders: readonly OrderView[],
): string | undefined {
  const theirs = orders.find((o) => o.owner === r.owner)
  if (theirs === undefined) {
    return takers.includes(peer)
      ? `${peer} is a taker of ${r.owner}'s addresses here, but its config does not take them over`
      : undefined
  }
  const ours = orderOf(r)
  const theirOrder = [theirs.owner, ...theirs.takers]
  if (ours.join() !== theirOrder.join())
    return `order of ${r.owner}'s addresses: ${ours.join(', ')} here, ${theirOrder.join(', ')} on ${peer}`
  const mine = r.addresses.map((a) => a.ip).sort()
  const other = [...theirs.addresses].sort()
  if (mine.join() !== other.join())
    return `${r.owner}'s addresses: ${mine.join(', ')} here, ${other.join(', ') || 'none'} on ${peer}`
  return undefined
}

/** Whether a live peer disagrees about the resource's order: then this node takes none of it. */
export function orderDisputed(s: EngineState, r: Resource): boolean {
  return Object.values(s.peers).some((p) => p.alive && s.mismatches[mismatchKey(p.id, r.owner)] !== undefined)
}

function mismatchKey(peer: string, owner: string): string {
  return `${peer} ${owner}`
}

/**
 * Reports each disagreement about an order once (order-mismatch), and its end (order-agreed), and
 * keeps the set of those in force. A peer no longer heard keeps its last word until heard again.
 */
export function trackMismatches(s: EngineState, fx: Effect[]): EngineState {
  const next: Record<string, string> = {}
  for (const peer of Object.values(s.peers)) {
    for (const r of Object.values(s.resources)) {
      const key = mismatchKey(peer.id, r.owner)
      const said = s.mismatches[key]
      if (!peer.alive || peer.indirect) {
        if (said !== undefined) next[key] = said
        continue
      }
      const text = orderDisagreement(r, peer)
      if (text === undefined) {
        if (said !== undefined)
          fx.push({ kind: 'emit', event: { kind: 'order-agreed', peer: peer.id, owner: r.owner } })
        continue
      }
      next[key] = text
      if (said !== text)
        fx.push({
          kind: 'emit',
          event: { kind: 'order-mismatch', peer: peer.id, owner: r.owner, ours: orderOf(r), detail: text },
        })
    }
  }
  const same =
    Object.keys(next).length === Object.keys(s.mismatches).length &&
    Object.entries(next).every(([k, v]) => s.mismatches[k] === v)
  return same ? s : { ...s, mismatches: next }
}

/** Whether orders go on the wire from the start: an order of two or more takers, or this node's own known. */
export function ordersConfigured(
  resources: readonly { owner: string; takers: readonly string[] | null }[],
  self: string,
): boolean {
  return resources.some((r) => (r.owner === self ? r.takers !== null : (r.takers?.length ?? 0) > 1))
}
