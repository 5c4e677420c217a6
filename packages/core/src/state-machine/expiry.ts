import { type Effect, expiredReleaseSteps } from './effects.js'
import { names, startRelease } from './resources.js'
import type { EngineState } from './state.js'

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
  const released = startRelease(
    s,
    r,
    now,
    fx,
    'their lifetime ran out while the agent did not renew them',
    expiredReleaseSteps(),
  )
  return { ...s, resources: { ...s.resources, [owner]: { ...released, expired: true } } }
}
