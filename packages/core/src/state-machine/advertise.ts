import type { AdvertisedAddress, HeardPeer, NodeStateCode, OrderView } from '../model/advertised.js'
import { ordersView } from './order.js'
import { heardView } from './relay.js'
import { giveBackDue } from './resources.js'
import type { EngineState } from './state.js'

/** What this node tells its peers in every heartbeat: its state and the addresses it holds. */
export function advertisedState(s: EngineState): NodeStateCode {
  if (s.phase === 'stopping' || s.phase === 'stopped') return 'stopping'
  if (s.maintenance) return 'maintenance'
  return s.phase === 'starting' ? 'starting' : 'healthy'
}

/**
 * The addresses held, with how: "releasing" while a release runs and while a failback by policy is
 * due (the owner is heard; with `stable`, until stableFor has passed), "kept" when this node will not
 * give them back on its own (manual policy, operator takeover, maintenance). With either the owner
 * waits, its claim clock stopped; only a plain "held" (a give-back that cannot happen: a refused
 * release, the owner not heard) lets the owner force its claim after claimTimeout.
 */
export function advertisedHeld(s: EngineState): AdvertisedAddress[] {
  const out: AdvertisedAddress[] = []
  for (const r of Object.values(s.resources)) {
    // Acquiring counts as held: the address may already be on the interface, and the owner must wait.
    if (r.status === 'idle' || r.status === 'waiting') continue
    const own = r.owner === s.self
    const kept =
      !own && r.status !== 'releasing' && (r.manual || s.timing.failback.policy === 'manual' || s.maintenance)
    const status = r.status === 'releasing' || giveBackDue(s, r) ? 'releasing' : kept ? 'kept' : 'held'
    for (const a of r.addresses) out.push({ ip: a.ip, prefix: a.prefix, family: a.family, status })
  }
  return out
}

/** The orders this node knows (heartbeat version 3), or null while it speaks an older version. */
export function advertisedOrders(s: EngineState): OrderView[] | null {
  return s.orderOnWire ? ordersView(s) : null
}

/** The peers this node hears directly, with what they said (version 3), or null while it speaks an older one. */
export function advertisedHeard(s: EngineState, now: number): HeardPeer[] | null {
  return s.orderOnWire ? heardView(s, now) : null
}
