import type { ReleaseCause } from '../model/events.js'
import { type Effect, expiredReleaseSteps } from './effects.js'
import { names, startRelease } from './resources.js'
import type { EngineState, Resource } from './state.js'

/**
 * The kernel ended the lifetime of a held resource's address (the agent was frozen past it, or its
 * renewals failed): it is no longer on the interface. A release runs: its remove first (it finds
 * nothing, or makes sure), then PreRel and PostRel to undo what PostAcq set up; it ends with the
 * resource not held whatever the hooks say, and the usual rules then decide whether to claim it again.
 */
export function onExpired(s: EngineState, owner: string, now: number, fx: Effect[]): EngineState {
  const r = s.resources[owner]
  if (r?.status !== 'held') return s
  fx.push({ kind: 'emit', event: { kind: 'addresses-expired', owner, addresses: names(r) } })
  const released = releaseFirst(
    s,
    r,
    now,
    fx,
    'their lifetime ran out while the agent did not renew them',
    'expired',
  )
  return { ...s, resources: { ...s.resources, [owner]: released } }
}

/**
 * A release that removes first and ends with the resource not held whatever its hooks say: for
 * addresses that are gone (their lifetime ran out) or must go now (the quorum lease is no longer
 * known valid: another node may win their key once it expires on the server).
 */
export function releaseFirst(
  s: EngineState,
  r: Resource,
  now: number,
  fx: Effect[],
  reason: string,
  cause: ReleaseCause,
): Resource {
  return { ...startRelease(s, r, now, fx, reason, cause, expiredReleaseSteps()), expired: true }
}
