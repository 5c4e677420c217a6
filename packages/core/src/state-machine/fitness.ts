import type { EngineState, PeerView, Resource } from './state.js'

/**
 * Fitness (issue 19): whether a node can serve a resource's addresses now. This node is unfit while a
 * check one of the addresses requires fails (`state.failing`, from the engine's check runner) or an
 * interface of theirs has lost its carrier; a node's addresses move together, so one unfit address
 * makes the resource unfit. Peers tell theirs in every heartbeat (version 2's fit list: the addresses
 * they could serve and are fit for). A peer that speaks version 1 says nothing: it has no checks, so
 * it is fit for its own addresses, and it is no one's hand-over target, since nothing says it would
 * take them.
 */

/** The checks failing here that the resource's addresses require, by name (empty: none). */
export function failingChecks(s: EngineState, r: Resource): string[] {
  const names = new Set<string>()
  for (const a of r.addresses) for (const name of s.failing[a.ip] ?? []) names.add(name)
  return [...names].sort()
}

/** Whether this node can serve the resource now: no required check failing, every carrier up. */
export function selfFit(s: EngineState, r: Resource): boolean {
  if (failingChecks(s, r).length > 0) return false
  return r.addresses.every((a) => s.carrier[a.interface]?.up !== false)
}

/** Why this node is unfit for the resource, in a few words (for events and reasons). */
export function unfitBecause(s: EngineState, r: Resource): string {
  const checks = failingChecks(s, r)
  const down = [...new Set(r.addresses.map((a) => a.interface))].filter((i) => s.carrier[i]?.up === false)
  const parts = [
    ...(checks.length > 0 ? [`${checks.join(', ')} failing`] : []),
    ...down.map((i) => `${i} without carrier`),
  ]
  return parts.join('; ')
}

/** The peer said, in version 2, that it cannot serve the resource's addresses now. */
export function saysUnfit(peer: PeerView, r: Resource): boolean {
  return peer.fit !== null && !r.addresses.every((a) => peer.fit?.includes(a.ip))
}

/**
 * Live peers that would take the resource's addresses if this node let them go: heard, healthy,
 * fit. The owner of a peer's addresses is one unless it says it is unfit; any other peer only when it
 * says, in version 2, that it is fit for them.
 */
export function fitTargets(s: EngineState, r: Resource): string[] {
  const out: string[] = []
  for (const peer of Object.values(s.peers)) {
    if (!peer.alive || peer.state !== 'healthy') continue
    const fit = peer.id === r.owner ? !saysUnfit(peer, r) : peer.fit !== null && !saysUnfit(peer, r)
    if (fit) out.push(peer.id)
  }
  return out
}

/**
 * No live node, this one included, is known fit for the resource: this one is not, and every peer
 * is lost, not healthy, or says it is unfit. A healthy peer that says nothing (version 1) and is not
 * the owner is not known either way: nothing is claimed about it.
 */
export function noNodeFit(s: EngineState, r: Resource): boolean {
  if (selfFit(s, r)) return false
  return Object.values(s.peers).every((p) => {
    if (!p.alive || p.state !== 'healthy') return true
    return p.fit !== null && saysUnfit(p, r)
  })
}

/**
 * What this node's heartbeats say about its fitness: every address it could serve and is fit for,
 * or null (version 1, nothing) while it has no checks, hears no peer speak of fitness and is fit
 * for everything. A node without checks that loses a carrier says so only while it lasts: an older
 * peer drops version 2 (and takes this node for silent, which, its addresses released, is what the
 * loss calls for), and hears it again once it is over.
 */
export function advertisedFit(s: EngineState): string[] | null {
  // Quorum (onQuorumLoss release): without a lease known valid this node can hold nothing, and says
  // so: a holder then keeps the addresses until this node can claim them, rather than giving them
  // back into a gap (an owner back from a partition, or just started, before its lease is granted).
  const leaseless = s.timing.quorum?.onLoss === 'release' && !s.quorum
  // A taker whose acquire was refused (Test said no, a strict hook failed) says it is unfit: the
  // next taker in the order goes on rather than waiting for it (Resource.acquireRefused).
  const unfit = Object.values(s.resources).filter(
    (r) => leaseless || !selfFit(s, r) || (r.acquireRefused && s.orderOnWire),
  )
  if (!s.fitnessOnWire && unfit.length === 0) return null
  const out: string[] = []
  for (const r of Object.values(s.resources))
    if (!unfit.includes(r)) for (const a of r.addresses) out.push(a.ip)
  return out
}

/** Whether fitness goes on the wire from now on: checks configured (set up), or a peer speaks of it. */
export function fitnessOnWire(s: EngineState): boolean {
  return s.fitnessOnWire || Object.values(s.peers).some((p) => p.fit !== null)
}

/**
 * Own addresses left to a fit peer while this node was unfit: the peer acquires them when it hears
 * they are let go, and says so in the heartbeat it sends then. Until that answer can have come back
 * (deadAfter after this node last said it was unfit, while the peer is heard), nobody advertising
 * them means "not heard yet", not "free": this node, fit again after a short failure (or claiming at
 * home, nobody fit), claiming them then would make two holders. A failback right after a flap waits
 * as long: a heartbeat saying the peer let them go may be older than its answer.
 */
export function handOverUnanswered(state: EngineState, r: Resource, now: number): boolean {
  return handOverAnswerDue(state, r) > now
}

/** Until when a hand-over's answer may still be on its way (-Infinity: none is awaited). */
export function handOverAnswerDue(state: EngineState, r: Resource): number {
  const h = r.handedTo
  if (h === null || r.status === 'held' || r.status === 'acquiring') return Number.NEGATIVE_INFINITY
  if (state.peers[h.peer]?.alive !== true) return Number.NEGATIVE_INFINITY
  // The release's end is when its heartbeat said they were let go.
  const said = r.status === 'idle' ? Math.max(h.at, r.since) : h.at
  return said + state.timing.deadAfterMs
}
