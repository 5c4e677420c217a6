import { handOverAnswerDue } from './fitness.js'
import { peerDeadline } from './liveness.js'
import { returnedAhead } from './order.js'
import {
  claimClockStart,
  fitNewsDue,
  giveBackAheadWaits,
  giveBackWaitsForOwner,
  unfitSettlesAt,
} from './resources.js'
import type { EngineState } from './state.js'

/** The next moment the machine must be ticked even if nothing arrives; undefined when none. */
export function nextDeadline(s: EngineState, now: number): number | undefined {
  if (!s.listening) return undefined
  const times: number[] = []
  for (const peer of Object.values(s.peers)) {
    const t = peerDeadline(s, peer, now)
    if (t !== undefined) times.push(t)
    if (peer.mixedSince !== null && !peer.anomaly) times.push(peer.mixedSince + s.timing.intervalMs)
  }
  if (s.phase === 'starting') times.push(s.startedAt + s.timing.deadAfterMs)
  // Links kept up through a stall of this node's own are judged when the grace ends.
  times.push(s.stallGraceUntil)
  for (const c of Object.values(s.carrier)) if (c.up) times.push(c.since + s.timing.carrierSettleMs)
  const { claimTimeoutMs, policy, stableForMs } = s.timing.failback
  for (const r of Object.values(s.resources)) {
    if (r.blocked?.retryAt != null) times.push(r.blocked.retryAt)
    times.push(handOverAnswerDue(s, r))
    const clock = claimClockStart(s, r)
    if (clock !== null) times.push(clock + claimTimeoutMs)
    const owner = s.peers[r.owner]
    if (owner && r.status === 'held') times.push(giveBackWaitsForOwner(s, r, owner))
    if (owner && r.status !== 'held') times.push(unfitSettlesAt(s, owner), fitNewsDue(s, r))
    const ahead = r.status === 'held' ? returnedAhead(s, r) : undefined
    if (ahead) {
      times.push(giveBackAheadWaits(s, ahead))
      if (policy === 'stable') times.push(Math.max(ahead.aliveSince ?? 0, ahead.fitSince ?? 0) + stableForMs)
    }
    if (policy === 'stable' && r.status === 'held' && owner?.aliveSince != null)
      times.push(Math.max(owner.aliveSince, owner.fitSince ?? 0) + stableForMs)
  }
  // Never Infinity (nothing due): a timer of Infinity fires at once, every millisecond.
  const future = times.filter((t) => t > now && Number.isFinite(t))
  return future.length > 0 ? Math.min(...future) : undefined
}
