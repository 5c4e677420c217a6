import type { Effect } from './effects.js'
import { releaseFirst } from './expiry.js'
import type { Input } from './inputs.js'
import { names } from './resources.js'
import type { EngineState, Resource } from './state.js'

/**
 * Quorum (config `coordination`): a key per resource in a store with its own majority (etcd) says
 * who holds it, bound to this node's lease. The engine says whether the lease is known valid now
 * (`quorum` input: renewals answered, or its validity ran out or the store said it is gone); here
 * that becomes what the node may hold. Lost: held addresses are released at once, removed first
 * (`onLoss: release`; the store lets another node win their keys only once the lease has expired
 * there, after this node's own deadline), or kept with a loud event (`keep`); nothing is acquired
 * until the lease is valid again. Regained: acquires that waited for the store are tried at once.
 */
export function onQuorum(
  s: EngineState,
  input: Extract<Input, { kind: 'quorum' }>,
  fx: Effect[],
): EngineState {
  const quorum = s.timing.quorum
  if (!quorum || s.quorum === input.valid) return s
  if (input.valid) {
    fx.push({ kind: 'emit', event: { kind: 'quorum-regained' } })
    return mapResources({ ...s, quorum: true }, (r) => (r.blocked?.untilFree ? { ...r, blocked: null } : r))
  }
  const held = Object.values(s.resources).filter((r) => r.status === 'held' || r.status === 'acquiring')
  fx.push({
    kind: 'emit',
    event: {
      kind: 'quorum-lost',
      reason: input.reason,
      onLoss: quorum.onLoss,
      addresses: held.flatMap(names),
    },
  })
  // Acquires still running stop short: before their add nothing changes; after it, the checklist
  // ends without waiting on announcements and the address is released then (quorumDecides).
  if (quorum.onLoss === 'release')
    for (const r of held) if (r.status === 'acquiring') fx.push({ kind: 'yield-checklist', owner: r.owner })
  return { ...s, quorum: false }
}

/** The key another node held when this one lost a claim is gone: the acquire may be tried at once. */
export function onClaimFreed(s: EngineState, owner: string): EngineState {
  const r = s.resources[owner]
  if (!r?.blocked?.untilFree) return s
  return { ...s, resources: { ...s.resources, [owner]: { ...r, blocked: null } } }
}

/**
 * A held resource whose key another node won: kept through a lost lease (`onQuorumLoss: keep`), its
 * key went with that lease, and the addresses are now on two nodes. Released at once, removed first;
 * the usual rules then try again, and the claim waits for the key to go.
 */
export function onKeyLost(
  s: EngineState,
  input: Extract<Input, { kind: 'key-lost' }>,
  now: number,
  fx: Effect[],
): EngineState {
  const r = s.resources[input.owner]
  if (r?.status !== 'held') return s
  fx.push({
    kind: 'emit',
    event: {
      kind: 'claim-lost',
      owner: r.owner,
      addresses: names(r),
      holder: input.holder,
      reason:
        'this node kept them through a lease it lost, and another node won their key since: releasing them',
    },
  })
  const released = releaseFirst(s, r, now, fx, `${input.holder} holds their key`, 'key-lost')
  return { ...s, resources: { ...s.resources, [r.owner]: released } }
}

/**
 * Whether quorum rules decide this resource's next step: while the lease is not known valid, a held
 * resource is released at once (`onLoss: release`), and nothing is acquired. Returns the resource
 * after that decision, or undefined when the usual rules decide.
 */
export function quorumDecides(s: EngineState, r: Resource, now: number, fx: Effect[]): Resource | undefined {
  if (!s.timing.quorum || s.quorum) return undefined
  if (r.status === 'acquiring' || r.status === 'releasing') return undefined
  if (r.status === 'held') {
    if (s.timing.quorum.onLoss !== 'release') return undefined
    // A release that failed (its remove) or was refused is tried again after retryAfter, not at every
    // step, and never later: past its lease, another node may win the key.
    if (r.blocked?.action === 'release') {
      const soonest = now + s.timing.retryAfterMs
      if (r.blocked.retryAt === null || r.blocked.retryAt > soonest)
        return { ...r, blocked: { ...r.blocked, retryAt: soonest } }
      if (now < r.blocked.retryAt) return r
    }
    return releaseFirst(s, r, now, fx, 'the quorum lease is not known valid', 'quorum-lost')
  }
  return r
}

function mapResources(s: EngineState, f: (r: Resource) => Resource): EngineState {
  return { ...s, resources: Object.fromEntries(Object.entries(s.resources).map(([k, r]) => [k, f(r)])) }
}
