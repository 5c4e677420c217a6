import type { Effect } from './effects.js'
import { holdersOf, names, startAcquire, startRelease } from './resources.js'
import type { EngineState } from './state.js'

/**
 * The operator's commands (`ipfo takeover`, `ipfo release`) as the machine applies them, and why one
 * cannot run now: the control server asks before sending the command, so the operator gets the reason
 * instead of silence.
 */

export function onTakeover(s: EngineState, owner: string, now: number, fx: Effect[]): EngineState {
  const r = s.resources[owner]
  if (!r || r.status === 'held' || r.status === 'acquiring' || r.status === 'releasing') return s
  if (holdersOf(s, r, undefined).length > 0) return s
  const manual = owner !== s.self
  const next = startAcquire(s, { ...r, manual, heldBack: false, blocked: null }, now, fx, {
    reason: 'operator takeover',
    cause: 'operator',
    peer: manual ? owner : undefined,
    arbitrate: false,
  })
  return { ...s, resources: { ...s.resources, [owner]: next } }
}

export function onRelease(s: EngineState, owner: string, now: number, fx: Effect[]): EngineState {
  const r = s.resources[owner]
  if (!r) return s
  const heldBack = owner === s.self
  if (r.status !== 'held') {
    return {
      ...s,
      resources: {
        ...s.resources,
        [owner]: { ...r, heldBack, status: r.status === 'waiting' ? 'idle' : r.status },
      },
    }
  }
  const next = startRelease(
    s,
    { ...r, manual: false, heldBack, blocked: null },
    now,
    fx,
    'operator release',
    'operator',
  )
  return { ...s, resources: { ...s.resources, [owner]: next } }
}

/**
 * Why `ipfo takeover <owner>` cannot run now, or undefined when it can. The control server asks
 * before sending the command, so the operator gets the reason instead of silence.
 */
export function takeoverRefusal(s: EngineState, owner: string): string | undefined {
  const r = s.resources[owner]
  if (!r)
    return `this node has no addresses of ${owner} to take over; add them to the config under peers[].takeover`
  if (r.status === 'held') return `${names(r).join(', ')} already held here`
  const unplugged = r.addresses.find((a) => s.carrier[a.interface]?.up === false)
  if (unplugged)
    return `${unplugged.interface} has no carrier: connect it (see "ip link show ${unplugged.interface}") first`
  if (r.status === 'acquiring' || r.status === 'releasing')
    return `a checklist for ${owner} is running; wait for it`
  const holders = holdersOf(s, r, undefined)
  if (holders.length > 0) {
    const holder = holders[0]!.peer.id
    return `${holder} holds ${names(r).join(', ')}; run "ipfo release ${owner}" on ${holder} first`
  }
  return undefined
}

export function releaseRefusal(s: EngineState, owner: string): string | undefined {
  const r = s.resources[owner]
  if (!r) return `this node has no addresses of ${owner}`
  if (r.status === 'acquiring' || r.status === 'releasing')
    return `a checklist for ${owner} is running; wait for it`
  return undefined
}
