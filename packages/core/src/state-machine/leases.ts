import type { InterfaceAddress } from '../model/ip.js'
import { takenOverIfSilent } from './guard-brief.js'
import type { EngineState } from './state.js'

/** A held address and whether it should end by itself if the agent stops renewing it. */
export interface Lease {
  readonly owner: string
  readonly address: InterfaceAddress
  /**
   * True when a peer would take the address over once this node fell silent, or (quorum, onQuorumLoss
   * release) while this node's lease is known valid: it then gets a kernel lifetime, so that a frozen agent loses it by itself. False when nobody would: kept forever, since
   * an address on a frozen node still serves its clients better than none.
   */
  readonly expires: boolean
}

/**
 * The addresses this node holds (checklist done: not while acquiring or releasing, when the
 * checklist owns them), each with whether it should expire on its own. Per resource, not all or
 * nothing as the guard's brief is: a peer judges each resource by this node's silence alone.
 */
export function leases(s: EngineState): Lease[] {
  const out: Lease[] = []
  // A stopping agent renews nothing more: what its stop keeps must stay.
  const stopping = s.phase === 'stopping' || s.phase === 'stopped'
  for (const r of Object.values(s.resources)) {
    if (r.status !== 'held') continue
    // With quorum (onQuorumLoss release), any node may win the key once this node's lease has
    // expired, heard or not: while the lease is known valid, every held address gets a lifetime,
    // which the engine ends before the lease. With keep, addresses outlast the lease by choice.
    const fenced = s.timing.quorum?.onLoss === 'release' && s.quorum
    const expires = !stopping && (fenced || takenOverIfSilent(s, r))
    for (const address of r.addresses) out.push({ owner: r.owner, address, expires })
  }
  return out
}
