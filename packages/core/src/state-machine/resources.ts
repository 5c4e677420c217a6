import type { HoldStatus } from '../model/advertised.js'
import type { AcquireCause, ReleaseCause } from '../model/events.js'
import { cidr } from '../model/ip.js'
import { acquireSteps, coordinated, type Effect, releaseSteps, type Step } from './effects.js'
import { fitTargets, handOverUnanswered, noNodeFit, saysUnfit, selfFit, unfitBecause } from './fitness.js'
import { startupDone } from './liveness.js'
import { candidateAhead, inOrder, orderDisputed, returnedAhead, unknownHolder } from './order.js'
import type { EngineState, PeerView, Resource } from './state.js'

/**
 * Decides, for one resource, whether a checklist starts now. Returns the resource as it is after
 * the decision, pushing the checklist (and its announcing event) into `fx`.
 */
export function evaluateResource(state: EngineState, held: Resource, now: number, fx: Effect[]): Resource {
  if (held.status === 'acquiring') return yieldIfHeldElsewhere(state, held, fx)
  if (held.status === 'releasing') return held
  const r = trackConflict(state, held, fx)
  if (state.phase === 'stopping' || state.phase === 'stopped') return evaluateStopping(state, r, now, fx)
  const resource = expireBlock(r, now)
  const unserved = carrierHold(state, resource, now)
  const next = unserved
    ? onCarrierHold(state, resource, unserved, now, fx)
    : resource.owner === state.self
      ? evaluateOwn(state, resource, now, fx)
      : evaluateTakeover(state, resource, now, fx)
  return reportNoNodeFit(state, next, fx)
}

/**
 * Says once, loudly, that no live node is fit for the resource: by the node that holds it, or, when
 * nobody does, by its owner (or by a taker when the owner is lost). Said again after a fit node was
 * seen in between.
 */
function reportNoNodeFit(state: EngineState, r: Resource, fx: Effect[]): Resource {
  const none = noNodeFit(state, r)
  if (!none) return r.noFitReported ? { ...r, noFitReported: false } : r
  if (r.noFitReported) return r
  const held = r.status === 'held' || r.status === 'acquiring'
  const heldElsewhere = holdersOf(state, r, undefined).length > 0
  const ownerLost = r.owner !== state.self && state.peers[r.owner]?.lost === true
  if (!held && (heldElsewhere || (r.owner !== state.self && !ownerLost))) return r
  const action = r.status === 'releasing' ? 'released' : held ? 'kept' : 'unheld'
  fx.push({
    kind: 'emit',
    event: {
      kind: 'no-node-fit',
      owner: r.owner,
      addresses: names(r),
      action,
      reason: unfitBecause(state, r),
    },
  })
  return { ...r, noFitReported: true }
}

/**
 * While this node holds a resource, a live peer advertising the same addresses means both hold them
 * (a split that healed, a pause). Report it; when the peer lets go, announce the addresses again so
 * clients and switches that followed the other holder come back.
 */
function trackConflict(state: EngineState, r: Resource, fx: Effect[]): Resource {
  if (r.status !== 'held') return r.contestedBy === null ? r : { ...r, contestedBy: null }
  const holder = holdersOf(state, r, undefined)[0]?.peer.id ?? null
  if (holder === r.contestedBy) return r
  if (holder !== null) {
    fx.push({
      kind: 'emit',
      event: { kind: 'address-conflict', owner: r.owner, addresses: names(r), holder },
    })
    return { ...r, contestedBy: holder }
  }
  const previous = r.contestedBy as string
  fx.push({
    kind: 'emit',
    event: { kind: 'address-conflict-resolved', owner: r.owner, addresses: names(r), holder: previous },
  })
  fx.push({ kind: 'announce', owner: r.owner, addresses: r.addresses, ...state.timing.announce })
  return { ...r, contestedBy: null }
}

/**
 * An acquire is decided on what was known then; a heartbeat heard while it runs can show a live peer
 * holding the addresses (the owner back from a stall just long enough to be taken for dead; both
 * sides claiming at once after a split heals). Going on would leave two holders until the checklist
 * ends, announcements included: ask it to stop short, once, and let the usual rules pick one holder.
 * A claim forced over a holder knew of it from the start, and goes on.
 */
function yieldIfHeldElsewhere(state: EngineState, r: Resource, fx: Effect[]): Resource {
  if (r.heldElsewhereBy !== null) return r
  const holder = holdersOf(state, r, undefined)[0]?.peer.id
  if (holder === undefined) return r
  fx.push({
    kind: 'emit',
    event: { kind: 'acquire-yielding', owner: r.owner, addresses: names(r), holder },
  })
  fx.push({ kind: 'yield-checklist', owner: r.owner })
  return { ...r, heldElsewhereBy: holder }
}

/**
 * Why this node cannot serve the resource's addresses now: one of their interfaces has no carrier, or
 * its carrier came back less than carrierSettle ago and not every peer has been heard after that (a peer that
 * took the addresses over while the cable was out must be heard before anything is claimed).
 */
export function carrierHold(
  state: EngineState,
  r: Resource,
  now: number,
): { readonly interface: string; readonly settling: boolean } | undefined {
  for (const a of r.addresses) {
    const c = state.carrier[a.interface]
    if (!c) continue
    if (!c.up) return { interface: a.interface, settling: false }
    const heardSince = (p: PeerView) =>
      Object.values(p.links).some((l) => l.lastSeen !== null && l.lastSeen > c.since)
    if (now - c.since < state.timing.carrierSettleMs && !Object.values(state.peers).every(heardSince))
      return { interface: a.interface, settling: true }
  }
  return undefined
}

/** Held addresses on an interface without carrier are released; nothing is claimed until it is back. */
function onCarrierHold(
  state: EngineState,
  r: Resource,
  hold: { readonly interface: string; readonly settling: boolean },
  now: number,
  fx: Effect[],
): Resource {
  if (r.status === 'held') {
    if (hold.settling || r.blocked?.action === 'release') return r
    return startRelease(state, r, now, fx, `${hold.interface} lost its carrier`, 'carrier-lost')
  }
  // A claim waiting on a holder starts its claim timeout afresh once the interface serves again.
  return r.waitingSince === null && r.claimClockSince === null
    ? r
    : { ...r, waitingSince: null, claimClockSince: null }
}

/**
 * Own addresses: claim them once no live peer holds them, or once the holder has plainly held them
 * past claimTimeout of the claim clock (it ignores us: its release keeps failing, say).
 */
function evaluateOwn(state: EngineState, r: Resource, now: number, fx: Effect[]): Resource {
  const fit = selfFit(state, r)
  if (r.status === 'held') {
    if (fit || state.maintenance || r.blocked) return stopClaimClock(r)
    return handOverIfUnfit(state, r, now, fx)
  }
  if (r.heldBack || state.maintenance || r.blocked) return stopClaimClock(r)
  if (!startupDone(state.peers)) return r
  const holders = holdersOf(state, r, undefined)
  // Unfit here: claim nothing, not even from a holder that falls silent (a stall of this node looks
  // the same, and two holders is worse than none for a service that is down here anyway). A fit peer
  // takes them; with none, they stay where they are. The claim clock stops; a wait already said is
  // not said again at every flap of a check.
  if (!fit) {
    // Left to a fit peer, which may be acquiring them as this node says it is unfit: once fit again,
    // this node waits for that answer before it claims (handOverUnanswered).
    // A peer unfit too is waited for as well: it may turn fit in the same instant as this node,
    // and take them on this node's "unfit" while this node claims them.
    const target = holders.length > 0 ? undefined : (fitTargets(state, r)[0] ?? mayTurnTarget(state, r))
    return stopClaimClock(target === undefined ? r : { ...r, handedTo: { peer: target, at: now } })
  }
  if (holders.length === 0) {
    if (handOverUnanswered(state, r, now)) return r
    return startAcquire(state, r, now, fx, {
      reason: 'own addresses are free',
      cause: 'own-free',
      peer: undefined,
      arbitrate: true,
    })
  }

  let waiting = r
  const holder = holders[0]!
  if (r.waitingSince === null) {
    waiting = { ...r, status: 'waiting', waitingSince: now }
    fx.push({ kind: 'emit', event: { kind: 'claim-waiting', addresses: names(r), holder: holder.peer.id } })
  }
  const plainlyHeld = holders.every((h) => h.status === 'held' && h.peer.state !== 'maintenance')
  const clockSince = plainlyHeld ? (waiting.claimClockSince ?? now) : null
  if (clockSince !== waiting.claimClockSince) waiting = { ...waiting, claimClockSince: clockSince }
  const clock = claimClockStart(state, waiting)
  if (clock !== null && now - clock >= state.timing.failback.claimTimeoutMs) {
    const waitedMs = now - (waiting.waitingSince ?? now)
    fx.push({
      kind: 'emit',
      event: { kind: 'claim-forced', addresses: names(r), holder: holder.peer.id, waitedMs },
    })
    return startAcquire(state, waiting, now, fx, {
      reason: `${holder.peer.id} did not release within the claim timeout`,
      cause: 'claim-timeout',
      peer: undefined,
      arbitrate: false,
      over: holder.peer.id,
    })
  }
  return waiting
}

/**
 * A live, healthy peer, unfit for these addresses now, that would take them over once fit: a taker
 * of this node's order, or one whose heartbeats name it a taker of this node's addresses; without
 * orders on either side, any peer that speaks of fitness (it cannot be told from one that does not
 * watch them).
 */
function mayTurnTarget(state: EngineState, r: Resource): string | undefined {
  const taker = (p: PeerView) =>
    r.takers !== null
      ? r.takers.includes(p.id)
      : p.orders === null || p.orders.some((o) => o.owner === state.self && o.takers.includes(p.id))
  return Object.values(state.peers).find(
    (p) => p.alive && p.state === 'healthy' && p.fit !== null && taker(p),
  )?.id
}

function stopClaimClock(r: Resource): Resource {
  return r.claimClockSince === null ? r : { ...r, claimClockSince: null }
}

/**
 * When the claim clock of an own resource started, as it counts now: never before the holder was
 * last heard again after a silence (a partition that healed, a pause), so that the holder's own
 * failback timer, which starts when it hears this node again, always runs out first. Null while
 * the clock is stopped.
 */
export function claimClockStart(state: EngineState, r: Resource): number | null {
  if (r.claimClockSince === null) return null
  let start = r.claimClockSince
  for (const h of holdersOf(state, r, undefined)) start = Math.max(start, h.peer.aliveSince ?? start)
  return start
}

/** A watched peer's addresses: take them when it is lost; give them back by the failback policy. */
function evaluateTakeover(state: EngineState, given: Resource, now: number, fx: Effect[]): Resource {
  const owner = state.peers[given.owner]
  const idle = given.status === 'idle' || given.status === 'waiting'
  const r = idle ? noteSaidFit(state, refusalLapses(state, given, fx), now, fx) : given
  if (!owner) return r
  if (r.status === 'idle' || r.status === 'waiting') {
    // An unfit node never takes over; nor while a peer sees the order differently (order-mismatch).
    // Nor before it has heard every peer (or deadAfter passed): one it has not heard yet may hold them.
    if (state.phase === 'starting' || state.maintenance || r.blocked || !selfFit(state, r)) return r
    if (orderDisputed(state, r)) return r
    // A live, fit node ahead in the order takes them, or keeps them from being taken (it hears the owner).
    if (candidateAhead(state, r) !== undefined) return r
    // Handed over to a fit peer while unfit here: its acquire may not be heard yet (fitness.ts).
    if (handOverUnanswered(state, r, now)) return r
    // Just fit again: takers behind this node may act on its old "unfit" (see Resource.saidFit).
    if (fitNewsPending(state, r, now)) return r
    if (owner.lost) {
      if (holdersOf(state, r, r.owner).length > 0) return r
      const silentFor = silentForMs(state, owner, now)
      return startAcquire(state, r, now, fx, {
        reason: `peer ${r.owner} lost`,
        cause: 'peer-lost',
        peer: r.owner,
        detectionMs: silentFor,
        arbitrate: true,
      })
    }
    // The owner is alive but unfit, and has let them go (it releases first: never two holders).
    const handedOver =
      owner.alive &&
      saysUnfit(owner, r) &&
      owner.state !== 'maintenance' &&
      owner.state !== 'stopping' &&
      unfitSettled(state, owner, now)
    if (!handedOver || holdersOf(state, r, undefined).length > 0) return r
    const taken = startAcquire(state, r, now, fx, {
      reason: `peer ${r.owner} is unfit for them`,
      cause: 'peer-unfit',
      peer: r.owner,
      arbitrate: true,
    })
    return { ...taken, fromUnfitOwner: true }
  }
  // held
  // A fit taker ahead in the order holds them too (both took them while they could not hear each
  // other): it holds them by the one rule, so let go now, whatever the failback policy, as for an
  // owner that holds them itself. The one ahead keeps them (nothing ahead of it holds them).
  const ahead = holderAhead(state, r)
  if (ahead !== undefined) {
    if (r.blocked) {
      // Two holders: a refused release is asked again after retryAfter, never later.
      const soonest = now + state.timing.retryAfterMs
      return r.blocked.retryAt === null || r.blocked.retryAt > soonest
        ? { ...r, blocked: { ...r.blocked, retryAt: soonest } }
        : r
    }
    return startRelease(
      state,
      r,
      now,
      fx,
      `${ahead}, ahead of this node in the order, holds them too`,
      'order',
    )
  }
  if (!owner.alive) {
    // A refused hand-over waits for its retry (blockAfter), or Test runs again at every evaluation.
    if (r.manual || state.maintenance || r.blocked) return r
    return selfFit(state, r) ? giveBackAhead(state, r, now, fx) : handOverIfUnfit(state, r, now, fx)
  }
  const ownerHoldsToo = ownerHoldsItself(owner, r)
  if (r.blocked) {
    if (!ownerHoldsToo) return r
    // The owner forced its claim over a refused give-back: ask Test again at once; two holders is
    // what the refusal now keeps.
    if (r.blocked.action === 'release' && !r.blocked.ownerHeld)
      return startRelease(
        state,
        { ...r, blocked: null },
        now,
        fx,
        `peer ${r.owner} holds its addresses itself`,
        'owner-holds',
      )
    // Both hold the addresses and that release was refused too (Test): ask again later, not never.
    if (r.blocked.retryAt === null)
      return { ...r, blocked: { ...r.blocked, retryAt: now + state.timing.retryAfterMs } }
    return r
  }
  if (ownerHoldsToo)
    return startRelease(state, r, now, fx, `peer ${r.owner} holds its addresses itself`, 'owner-holds')
  if (r.manual || state.maintenance) return r
  // Unfit here: hand them to a fit node (the owner, by any failback policy), or keep them.
  if (!selfFit(state, r)) return handOverIfUnfit(state, r, now, fx)
  // No give-back to an owner that says it cannot serve them.
  if (saysUnfit(owner, r)) return r
  // Taken from an owner that was unfit: once fit, it waits deadAfter for this node's answer before it
  // claims (fitness.ts handOverUnanswered). Giving back sooner would leave the addresses unheld.
  if (giveBackWaitsForOwner(state, r, owner) > now) return r
  const { policy, stableForMs } = state.timing.failback
  if (policy === 'auto') return startRelease(state, r, now, fx, `peer ${r.owner} returned`, 'failback')
  // Stable counts from when the owner came back or, if later, when its fitness last changed.
  const healthySince = owner.aliveSince === null ? null : Math.max(owner.aliveSince, owner.fitSince ?? 0)
  if (policy === 'stable' && healthySince !== null && now - healthySince >= stableForMs) {
    return startRelease(state, r, now, fx, `peer ${r.owner} healthy for ${stableForMs}ms`, 'failback')
  }
  if (r.failbackReported) return r
  const releaseInMs = policy === 'stable' && healthySince !== null ? healthySince + stableForMs - now : null
  fx.push({ kind: 'emit', event: { kind: 'failback-pending', owner: r.owner, policy, releaseInMs } })
  return { ...r, failbackReported: true }
}

/**
 * A lost owner's addresses held here while a taker ahead of this node in the order is back, healthy
 * and fit: it holds them by the one rule, so they go to it by the failback policy (auto at once,
 * stable once it has stayed up stableFor, manual on "ipfo release"). It takes them once it hears
 * them let go; nobody else does meanwhile, since it is ahead of them too.
 */
function giveBackAhead(state: EngineState, r: Resource, now: number, fx: Effect[]): Resource {
  const ahead = r.blocked || orderDisputed(state, r) ? undefined : returnedAhead(state, r)
  if (ahead === undefined) return r.failbackReported ? { ...r, failbackReported: false } : r
  // It may have handed them over while unfit: once fit, it waits deadAfter for that answer before it
  // takes anything (handOverUnanswered); giving back sooner would leave them unheld meanwhile.
  if (giveBackAheadWaits(state, ahead) > now) return r
  const { policy, stableForMs } = state.timing.failback
  const healthySince = Math.max(ahead.aliveSince ?? now, ahead.fitSince ?? 0)
  if (policy === 'auto')
    return startRelease(state, r, now, fx, `${ahead.id} is back, ahead of this node in the order`, 'failback')
  if (policy === 'stable' && now - healthySince >= stableForMs)
    return startRelease(
      state,
      r,
      now,
      fx,
      `${ahead.id}, ahead of this node in the order, healthy for ${stableForMs}ms`,
      'failback',
    )
  if (r.failbackReported) return r
  const releaseInMs = policy === 'stable' ? healthySince + stableForMs - now : null
  fx.push({
    kind: 'emit',
    event: { kind: 'failback-pending', owner: r.owner, policy, releaseInMs, to: ahead.id },
  })
  return { ...r, failbackReported: true }
}

/**
 * A refused acquire (Test said no) keeps this node saying it is unfit for the addresses while they
 * are in good hands: held by a peer fit for them. Past its retry time, with nobody holding them or
 * only an unfit holder, it lapses: this node says it is fit again and may be asked to take them
 * (and its Test asked again), as a pair retries.
 */
function refusalLapses(state: EngineState, r: Resource, fx: Effect[]): Resource {
  if (!r.acquireRefused || r.blocked) return r
  const inGoodHands = holdersOf(state, r, undefined).some((h) => !saysUnfit(h.peer, r))
  if (inGoodHands) return r
  fx.push({ kind: 'send-heartbeat' })
  return { ...r, acquireRefused: false }
}

/** Keeps Resource.saidFit: whether this node's heartbeats say it is fit for a peer's addresses. */
function noteSaidFit(state: EngineState, r: Resource, now: number, fx: Effect[]): Resource {
  const fit = selfFit(state, r) && !(r.acquireRefused && state.orderOnWire)
  if (fit === r.saidFit) return r
  if (fit) fx.push({ kind: 'send-heartbeat' })
  return { ...r, saidFit: fit, saidFitAt: now }
}

/** Until when this node, just fit again for a peer's addresses, lets takers behind it hear so. */
export function fitNewsDue(state: EngineState, r: Resource): number {
  const takers = r.takers ?? []
  const behind = takers.length - 1 - takers.indexOf(state.self)
  if (r.owner === state.self || behind <= 0 || !r.saidFit) return Number.NEGATIVE_INFINITY
  return r.saidFitAt + state.timing.deadAfterMs
}

function fitNewsPending(state: EngineState, r: Resource, now: number): boolean {
  return fitNewsDue(state, r) > now
}

/**
 * An owner's "unfit" is taken as letting its addresses go once it is news: its fitness changed while
 * it was heard, or it has been heard for deadAfter. The first words of an owner back from a silence
 * (a cable back in before its carrier is seen, a restart) may say "unfit" for a moment, and it
 * claims its free addresses as soon as it is fit: taking them then would make two holders.
 */
function unfitSettled(state: EngineState, owner: PeerView, now: number): boolean {
  return unfitSettlesAt(state, owner) <= now
}

/** When an owner's "unfit" counts (see unfitSettled). */
export function unfitSettlesAt(state: EngineState, owner: PeerView): number {
  if (owner.aliveSince === null) return Number.POSITIVE_INFINITY
  if (owner.fitSince !== null && owner.fitSince > owner.aliveSince) return owner.fitSince
  return owner.aliveSince + state.timing.deadAfterMs
}

/** Until when a give-back to a taker ahead must wait: deadAfter after its fitness last changed. */
export function giveBackAheadWaits(state: EngineState, ahead: PeerView): number {
  return ahead.fitSince === null ? Number.NEGATIVE_INFINITY : ahead.fitSince + state.timing.deadAfterMs
}

/** Until when a give-back to an owner that handed its addresses over (it was unfit) must wait. */
export function giveBackWaitsForOwner(state: EngineState, r: Resource, owner: PeerView): number {
  if (!r.fromUnfitOwner || owner.fitSince === null) return Number.NEGATIVE_INFINITY
  return owner.fitSince + state.timing.deadAfterMs
}

/**
 * A held resource this node is unfit for: released when a live peer is fit for it (it acquires once
 * the release is done and heard), or when nobody is and onAllUnfit says release; kept otherwise.
 */
function handOverIfUnfit(state: EngineState, r: Resource, now: number, fx: Effect[]): Resource {
  const why = unfitBecause(state, r)
  const target = fitTargets(state, r)[0]
  if (target !== undefined) {
    const next = startRelease(state, r, now, fx, `unfit here (${why}); ${target} is fit`, 'unfit')
    // Owner or taker, it waits for the answer before it takes them again once fit (handOverUnanswered).
    return { ...next, handedTo: { peer: target, at: now } }
  }
  if (state.timing.onAllUnfit === 'release')
    return startRelease(
      state,
      r,
      now,
      fx,
      `unfit here (${why}) and no node is fit (onAllUnfit: release)`,
      'no-node-fit',
    )
  return stopClaimClock(r)
}

/**
 * A peer's addresses held here will be given back on their own, by policy, with no operator action:
 * the owner is heard, the failback policy is not manual, nothing holds them here (an operator's
 * takeover, maintenance, a refused release). Advertised as `returning`, which stops the owner's claim
 * clock: its forced claim is for a holder that will not let go, never one whose give-back is due.
 */
export function giveBackDue(state: EngineState, r: Resource): boolean {
  const owner = state.peers[r.owner]
  return (
    r.owner !== state.self &&
    r.status === 'held' &&
    owner?.alive === true &&
    r.blocked === null &&
    !r.manual &&
    !state.maintenance &&
    !saysUnfit(owner, r) &&
    (state.timing.failback.policy !== 'manual' || !selfFit(state, r))
  )
}

/**
 * Stopping with `onStop: release`: give everything held back, once. A release the stop asked for and
 * that was refused (Test) or failed (a strict hook, the remove) is not retried: the stop ends with the
 * addresses kept, loudly, rather than never (the release's own block is cleared at the stop, so an
 * earlier refusal does not count).
 */
function evaluateStopping(state: EngineState, r: Resource, now: number, fx: Effect[]): Resource {
  if (r.status !== 'held' || !state.releaseOnStop) return r
  if (releaseRefusedAtStop(r)) return r
  return startRelease(state, r, now, fx, 'agent stopping', 'stopping')
}

/**
 * Whether the owner says it holds these addresses itself. One releasing them (its lifetime ran out
 * while it was frozen, its carrier went) lets go: the holder keeps them.
 */
export function ownerHoldsItself(owner: PeerView, r: Resource): boolean {
  return owner.held.some((h) => h.status !== 'releasing' && r.addresses.some((a) => a.ip === h.ip))
}

/** A held resource whose release, asked for by the stop, was refused or failed. */
export function releaseRefusedAtStop(r: Resource): boolean {
  return r.status === 'held' && r.blocked?.action === 'release'
}

/** A block set after a failed checklist ends at its retry time, or when its trigger went away. */
function expireBlock(r: Resource, now: number): Resource {
  if (!r.blocked) return r
  if (r.blocked.retryAt !== null && now >= r.blocked.retryAt) return { ...r, blocked: null }
  return r
}

/** Clears a "until the trigger changes" block, and a refused acquire, when the owner's liveness flips. */
export function clearBlockOnChange(r: Resource): Resource {
  const cleared =
    r.acquireRefused || r.giveBackRefused ? { ...r, acquireRefused: false, giveBackRefused: false } : r
  return cleared.blocked?.untilChange ? { ...cleared, blocked: null } : cleared
}

export function startAcquire(
  state: EngineState,
  r: Resource,
  now: number,
  fx: Effect[],
  why: {
    reason: string
    /** The reason in a word, from a closed list (metrics). */
    cause: AcquireCause
    peer: string | undefined
    detectionMs?: number
    arbitrate: boolean
    /** A forced claim: the live peer that holds the addresses and is claimed over. */
    over?: string
  },
): Resource {
  fx.push({
    kind: 'emit',
    event: { kind: 'acquiring', owner: r.owner, addresses: names(r), reason: why.reason, cause: why.cause },
  })
  fx.push({
    kind: 'run-checklist',
    checklist: {
      id: state.nextChecklistId + fx.filter((e) => e.kind === 'run-checklist').length,
      action: 'acquire',
      owner: r.owner,
      cause: why.cause,
      peer: why.peer,
      addresses: r.addresses,
      reason: why.reason,
      detectionMs: why.detectionMs,
      steps: withQuorum(
        state,
        'acquire',
        acquireSteps(state.timing.announce, why.arbitrate && state.timing.arbitrate),
      ),
    },
  })
  return {
    ...r,
    status: 'acquiring',
    since: now,
    failbackReported: false,
    contestedBy: null,
    heldElsewhereBy: why.over ?? null,
    handedTo: null,
    fromUnfitOwner: false,
  }
}

export function startRelease(
  state: EngineState,
  r: Resource,
  now: number,
  fx: Effect[],
  reason: string,
  cause: ReleaseCause,
  steps: Step[] = releaseSteps(),
): Resource {
  fx.push({ kind: 'emit', event: { kind: 'releasing', owner: r.owner, addresses: names(r), reason, cause } })
  fx.push({
    kind: 'run-checklist',
    checklist: {
      id: state.nextChecklistId + fx.filter((e) => e.kind === 'run-checklist').length,
      action: 'release',
      owner: r.owner,
      cause: null,
      peer: r.owner === state.self ? undefined : r.owner,
      addresses: r.addresses,
      reason,
      detectionMs: undefined,
      steps: withQuorum(state, 'release', steps),
    },
  })
  return { ...r, status: 'releasing', since: now, failbackReported: false, contestedBy: null }
}

/**
 * A taker ahead of this node in the resource's order heard holding its addresses, and fit for them;
 * undefined: none. Its status does not matter: a holder whose give-back to the owner is due says
 * `releasing` while it waits for the policy, and this node's give-back is due then too. One that
 * says it is unfit (it hands them over, perhaps to this node) or is stopping does not count, nor
 * one known only through a report without detail (it may hold nothing).
 */
function holderAhead(state: EngineState, r: Resource): string | undefined {
  const takers = r.takers ?? []
  const ahead = takers.slice(0, Math.max(takers.indexOf(state.self), 0))
  const found = holdersOf(state, r, r.owner).find(
    (h) =>
      ahead.includes(h.peer.id) &&
      !unknownHolder(h.peer) &&
      h.peer.state !== 'stopping' &&
      !saysUnfit(h.peer, r),
  )
  return found?.peer.id
}

/** Live peers (other than `except`) that advertise holding any of the resource's addresses. */
export function holdersOf(state: EngineState, r: Resource, except: string | undefined) {
  const found: { peer: PeerView; status: HoldStatus }[] = []
  for (const peer of Object.values(state.peers)) {
    if (peer.id === except || !peer.alive) continue
    const hold = peer.held.find((h) => r.addresses.some((a) => a.ip === h.ip))
    if (hold) found.push({ peer, status: hold.status })
    // Heard of without what it holds: a node of the order may hold them.
    else if (unknownHolder(peer) && inOrder(r, peer.id)) found.push({ peer, status: 'held' as const })
  }
  return found
}

function silentForMs(state: EngineState, peer: PeerView, now: number): number {
  const newest = Math.max(
    state.startedAt,
    ...Object.values(peer.links).map((l) => l.lastSeen ?? state.startedAt),
  )
  return now - newest
}

export function names(r: Resource): string[] {
  return r.addresses.map((a) => cidr(a))
}

/** With a quorum store, a checklist claims or deletes the addresses' key (see `coordinated`). */
function withQuorum(state: EngineState, action: 'acquire' | 'release', steps: Step[]): Step[] {
  return state.timing.quorum ? coordinated(steps, action) : steps
}
