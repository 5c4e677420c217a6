import type { InterfaceAddress } from '../model/ip.js'
import type { GuardBrief } from '../model/ports.js'
import { saysUnfit } from './fitness.js'
import type { EngineState, Resource } from './state.js'

/**
 * What the guard does with each address on the interface if the agent dies without a word. An address
 * is handed over (removed, then the last word sent) when a peer will take it on hearing that word:
 * for this node's own addresses, any peer heard and healthy or still starting (not stopping or in
 * maintenance); for a peer's addresses held here, that owner, heard and healthy or starting. Anything else is kept:
 * without a peer to take it, an address on a host whose agent died still serves its clients. It is
 * all or nothing: the last word says this node holds nothing, so one address kept keeps them all
 * (peers then judge the node by its silence, as without a guard).
 *
 * Acquiring and releasing count as on the interface: a crash may come between the add and the word.
 */
export function guardBrief(s: EngineState): GuardBrief {
  const handOver: InterfaceAddress[] = []
  const keep: InterfaceAddress[] = []
  // Quorum (onQuorumLoss release): nothing may outlive the lease, which ends with the agent (another
  // node wins the key once it expires, whoever this node hears now): every address goes.
  const fenced = s.timing.quorum?.onLoss === 'release'
  for (const r of Object.values(s.resources)) {
    if (r.status === 'idle' || r.status === 'waiting') continue
    ;(fenced || takenOverIfSilent(s, r) ? handOver : keep).push(...r.addresses)
  }
  // The last word says this node holds nothing: it cannot go out while an address stays.
  return keep.length > 0 ? { handOver: [], keep: [...handOver, ...keep] } : { handOver, keep }
}

/**
 * Whether a peer would take the resource over if this node fell silent now: for this node's own
 * addresses, any peer heard and healthy or starting (not stopping or in maintenance); for a peer's
 * addresses held here, that owner, heard and healthy or starting, or another of their takers, heard,
 * healthy or starting, and saying it is fit for them. Not for addresses taken by an operator
 * (`ipfo takeover`): the owner was released by hand and claims nothing on its own.
 *
 * A peer still starting counts: it takes over once its start is done, which a departure (the last
 * word) ends at once and silence after deadAfter. Kept from it, an address ended on two nodes: the
 * crashed agent's guard kept it, and the peer, once started, took it after deadAfter beside it.
 */
export function takenOverIfSilent(s: EngineState, r: Resource): boolean {
  const ready = (id: string) => {
    const p = s.peers[id]
    return p?.alive === true && (p.state === 'healthy' || p.state === 'starting')
  }
  if (r.manual) return false
  // An unfit node takes nothing, not even its own addresses back.
  if (r.owner === s.self) return Object.values(s.peers).some((p) => ready(p.id) && !saysUnfit(p, r))
  const owner = s.peers[r.owner]
  if (ready(r.owner) && owner !== undefined && !saysUnfit(owner, r)) return true
  // Another taker of the order, heard, healthy and saying it is fit: the first such takes them.
  return (r.takers ?? []).some((id) => {
    const p = s.peers[id]
    return id !== s.self && ready(id) && p !== undefined && p.fit !== null && !saysUnfit(p, r)
  })
}
