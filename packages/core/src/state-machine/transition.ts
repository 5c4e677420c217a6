import { cidr, type InterfaceAddress } from '../model/ip.js'
import type { Effect } from './effects.js'
import { onExpired } from './expiry.js'
import { failingChecks, fitnessOnWire, saysUnfit } from './fitness.js'
import type { ChecklistOutcome, HeartbeatInput, Input } from './inputs.js'
import { evaluatePeer, stallGraceMs, startupDone } from './liveness.js'
import { onRelease, onTakeover } from './operator.js'
import { ordersConfigured, trackMismatches } from './order.js'
import { onClaimFreed, onKeyLost, onQuorum, quorumDecides } from './quorum.js'
import { applyHeard, sameList, sameOrders } from './relay.js'
import {
  clearBlockOnChange,
  evaluateResource,
  names,
  ownerHoldsItself,
  releaseRefusedAtStop,
} from './resources.js'
import type { EngineState, PeerView, Resource, Timing } from './state.js'

/**
 * How long an acquire waits after Test said "notification only" before Test is asked again: for this
 * node's own addresses nothing else would ever change; for a peer's, its liveness changing asks
 * sooner, and this bounds a refusal that was only passing.
 */
export const NOTIFY_ONLY_RETRY_MS = 60_000

export interface Transition {
  readonly state: EngineState
  readonly effects: readonly Effect[]
}

export interface MachineSetup {
  readonly self: string
  readonly timing: Timing
  readonly linkNames: readonly string[]
  readonly peers: readonly string[]
  /** This node's own addresses, and for each watched peer the addresses taken over from it. */
  readonly resources: readonly {
    readonly owner: string
    readonly addresses: readonly InterfaceAddress[]
    /** Its takers, first to last (see Resource.takers). Absent: this node alone for a peer's, unknown for its own. */
    readonly takers?: readonly string[] | null
  }[]
  readonly releaseOnStop: boolean
  /** Heartbeats carry fitness from the start (the config has health checks). Default false. */
  readonly fitnessOnWire?: boolean
  /**
   * False: the heartbeat sockets are not open yet; nothing is judged until the `listening` input
   * (the agent's start-up work, such as reading the interfaces, must not count as peers' silence).
   * Default true, for a machine driven directly.
   */
  readonly listening?: boolean
}

export function initialState(setup: MachineSetup, now: number): EngineState {
  const peers: Record<string, PeerView> = {}
  for (const id of setup.peers) {
    peers[id] = {
      id,
      links: Object.fromEntries(
        setup.linkNames.map((l) => [l, { lastSeen: null, up: false, reportedLost: false }]),
      ),
      alive: false,
      lost: false,
      everHeard: false,
      aliveSince: null,
      anomaly: false,
      anomalyDown: [],
      mixedSince: null,
      incarnation: null,
      state: null,
      held: [],
      heldSentAt: null,
      fit: null,
      fitSince: null,
      relay: null,
      indirect: false,
      orders: null,
    }
  }
  const resources: Record<string, Resource> = {}
  const ordered = ordersConfigured(
    setup.resources.map((r) => ({ owner: r.owner, takers: r.takers ?? null })),
    setup.self,
  )
  for (const r of setup.resources) {
    if (r.addresses.length === 0) continue
    resources[r.owner] = {
      owner: r.owner,
      addresses: r.addresses,
      status: r.owner === setup.self ? 'waiting' : 'idle',
      since: now,
      manual: false,
      heldBack: false,
      blocked: null,
      waitingSince: null,
      claimClockSince: null,
      failbackReported: false,
      contestedBy: null,
      heldElsewhereBy: null,
      expired: false,
      noFitReported: false,
      handedTo: null,
      fromUnfitOwner: false,
      takers: r.takers ?? (r.owner === setup.self ? null : [setup.self]),
      acquireRefused: false,
      giveBackRefused: false,
      saidFit: true,
      saidFitAt: Number.NEGATIVE_INFINITY,
    }
  }
  return {
    self: setup.self,
    timing: setup.timing,
    startedAt: now,
    judgeFrom: now,
    stallGraceUntil: Number.NEGATIVE_INFINITY,
    listening: setup.listening ?? true,
    phase: 'starting',
    releaseOnStop: setup.releaseOnStop,
    maintenance: false,
    linkNames: setup.linkNames,
    peers,
    resources,
    carrier: {},
    failing: {},
    fitnessOnWire: (setup.fitnessOnWire ?? false) || ordered,
    orderOnWire: ordered,
    quorum: !setup.timing.quorum,
    mismatches: {},
    nextChecklistId: 1,
  }
}

/** The failover state machine: `(state, input, now) -> { state, effects }`. Pure; time is an argument. */
export function transition(state: EngineState, input: Input, now: number): Transition {
  const fx: Effect[] = []
  let s = state
  switch (input.kind) {
    case 'heartbeat':
      s = onHeartbeat(s, input, now, fx)
      break
    case 'heartbeats':
      for (const beat of input.beats) s = onHeartbeat(s, beat, now, fx)
      break
    case 'reconciled':
      // Found on the interfaces at the start: held. Its own are announced again: while this agent was
      // down a peer may have taken them and told the network its MAC; that peer lets go when it hears
      // this node hold them, and may do so before this node ever hears it hold them (no conflict to
      // end). A peer's are not: their owner may hold them by now, and this node gives way to it.
      s = mapResources(s, (r) => {
        if (!input.held.includes(r.owner) || r.status === 'held') return r
        if (r.owner === s.self)
          fx.push({ kind: 'announce', owner: r.owner, addresses: r.addresses, ...s.timing.announce })
        return { ...r, status: 'held', since: now }
      })
      break
    case 'checklist-finished':
      s = onChecklistFinished(s, input, now, fx)
      break
    case 'takeover':
      s = onTakeover(s, input.owner, now, fx)
      break
    case 'release':
      s = onRelease(s, input.owner, now, fx)
      break
    case 'maintenance':
      if (s.maintenance !== input.on) {
        s = { ...s, maintenance: input.on }
        fx.push({ kind: 'emit', event: { kind: 'maintenance', on: input.on } })
      }
      break
    case 'stop':
      if (s.phase !== 'stopping' && s.phase !== 'stopped') {
        // The stop asks for a release of its own: a refusal from before it is not the answer.
        s = mapResources({ ...s, phase: 'stopping', releaseOnStop: input.release }, (r) =>
          r.blocked?.action === 'release' ? { ...r, blocked: null } : r,
        )
      }
      break
    case 'listening':
      // Peers' silence, and the start-up wait for them, count from the moment heartbeats can arrive.
      s = { ...s, listening: true, startedAt: now, judgeFrom: now }
      break
    case 'resumed':
      // Peers' silence while this node was frozen proves nothing: judge it from now on. Addresses
      // whose lifetime ran out meanwhile are let go in the same step, before anything is judged or
      // said. Heartbeats go out at once so peers that took over learn this node is back.
      s = { ...s, judgeFrom: now }
      for (const owner of input.expired ?? []) s = onExpired(s, owner, now, fx)
      fx.push({ kind: 'send-heartbeat' })
      break
    case 'stalled': {
      // Only the grace: what it excuses is judged by the input the turn brings next (the heartbeats
      // read, the tick), not before it, when those heartbeats would not be counted yet.
      const until = now + stallGraceMs(s.timing)
      return { state: until > s.stallGraceUntil ? { ...s, stallGraceUntil: until } : s, effects: fx }
    }
    case 'carrier':
      s = onCarrier(s, input, now, fx)
      break
    case 'expired':
      s = onExpired(s, input.owner, now, fx)
      break
    case 'fitness':
      s = onFitness(s, input.failing, now, fx)
      break
    case 'quorum':
      s = onQuorum(s, input, fx)
      break
    case 'claim-freed':
      s = onClaimFreed(s, input.owner)
      break
    case 'key-lost':
      s = onKeyLost(s, input, now, fx)
      break
    case 'tick':
      break
  }
  s = evaluate(s, now, fx)
  // A peer speaks of fitness (of orders): this node does too from now on.
  if (!s.fitnessOnWire && fitnessOnWire(s)) s = { ...s, fitnessOnWire: true }
  if (!s.orderOnWire && Object.values(s.peers).some((p) => p.orders !== null))
    s = { ...s, orderOnWire: true, fitnessOnWire: true }
  return {
    state: { ...s, nextChecklistId: s.nextChecklistId + fx.filter((e) => e.kind === 'run-checklist').length },
    effects: fx,
  }
}

function evaluate(state: EngineState, now: number, fx: Effect[]): EngineState {
  if (!state.listening) return state
  let s = state
  const peers: Record<string, PeerView> = {}
  let resources = s.resources
  for (const peer of Object.values(s.peers)) {
    const next = evaluatePeer(s, peer, now, fx)
    peers[peer.id] = next
    const r = resources[peer.id]
    if (r && next.lost !== peer.lost) resources = { ...resources, [peer.id]: clearBlockOnChange(r) }
  }
  s = trackMismatches({ ...s, peers, resources }, fx)
  if (s.phase === 'starting' && startupDone(peers)) s = { ...s, phase: 'running' }

  const evaluated: Record<string, Resource> = {}
  for (const r of Object.values(s.resources)) {
    // startAcquire/startRelease number a checklist by the ones already in `fx`: ids stay unique.
    evaluated[r.owner] = quorumDecides(s, r, now, fx) ?? evaluateResource(s, r, now, fx)
  }
  s = { ...s, resources: evaluated }

  if (s.phase === 'stopping') {
    const resources = Object.values(s.resources)
    const busy = resources.some(
      (r) =>
        r.status === 'acquiring' ||
        r.status === 'releasing' ||
        (r.status === 'held' && s.releaseOnStop && !releaseRefusedAtStop(r)),
    )
    if (!busy) {
      if (s.releaseOnStop)
        for (const r of resources.filter(releaseRefusedAtStop))
          fx.push({ kind: 'emit', event: { kind: 'kept-on-stop', owner: r.owner, addresses: names(r) } })
      s = { ...s, phase: 'stopped' }
      fx.push({ kind: 'stopped' })
    }
  }
  return s
}

function onHeartbeat(s: EngineState, input: HeartbeatInput, now: number, fx: Effect[]): EngineState {
  const peer = s.peers[input.peer]
  const link = peer?.links[input.link]
  if (!peer || !link) return s
  if (link.reportedLost)
    fx.push({ kind: 'emit', event: { kind: 'heartbeat-restored', peer: peer.id, link: input.link } })
  const departing = input.state === 'stopping' && input.held.length === 0
  if (peer.lost && !departing) {
    fx.push({
      kind: 'emit',
      event: {
        kind: 'peer-restored',
        peer: peer.id,
        incarnation: input.incarnation,
        restarted: input.restarted,
      },
    })
  }
  const current =
    peer.heldSentAt === null || input.sentAt >= peer.heldSentAt || input.incarnation !== peer.incarnation
  const heldChanged =
    peer.held.length !== input.held.length || peer.held.some((h, i) => h.ip !== input.held[i]?.ip)
  const next: PeerView = {
    ...peer,
    links: { ...peer.links, [input.link]: { lastSeen: now, up: true, reportedLost: false } },
    alive: true,
    lost: false,
    everHeard: true,
    aliveSince: peer.alive ? peer.aliveSince : now,
    incarnation: input.incarnation,
    state: current ? input.state : peer.state,
    held: !current
      ? peer.held
      : heldChanged || peer.held.some((h, i) => h.status !== input.held[i]?.status)
        ? input.held
        : peer.held,
    heldSentAt: current ? input.sentAt : peer.heldSentAt,
    ...(current && !sameList(peer.fit, input.fit) ? { fit: input.fit, fitSince: now } : {}),
    // The same orders as before keep their object: judged once (order.ts orderDisagreement).
    ...(input.orders != null && !sameOrders(peer.orders, input.orders) ? { orders: input.orders } : {}),
  }
  let resources = s.resources
  const r = resources[peer.id]
  if (r && peer.lost) resources = { ...resources, [peer.id]: clearBlockOnChange(r) }
  const peers = { ...s.peers, [peer.id]: next }
  const heard = input.heard ?? []
  return {
    ...s,
    peers: heard.length > 0 ? applyHeard({ ...s, peers }, peer.id, heard, now) : peers,
    resources,
  }
}

function onChecklistFinished(
  s: EngineState,
  input: Extract<Input, { kind: 'checklist-finished' }>,
  now: number,
  fx: Effect[],
): EngineState {
  const r = s.resources[input.owner]
  if (!r || (r.status !== 'acquiring' && r.status !== 'releasing')) return s
  const acquiring = r.status === 'acquiring'
  let next: Resource
  // An expired address's release removed first: unless that remove failed, it is gone, whatever a
  // hook said after it. Back to held (and retried) it would be advertised while nobody has it.
  const gone = r.expired && input.outcome !== 'failed'
  if (input.outcome === 'done' || input.outcome === 'yielded' || gone) {
    // Yielded: another node holds the addresses and this one never added them. Nothing to retry,
    // nothing blocked; the next evaluation waits for the holder, or takes over if it is lost again.
    next = {
      ...r,
      status: acquiring && input.outcome === 'done' ? 'held' : 'idle',
      since: now,
      blocked: null,
      acquireRefused: acquiring && input.outcome === 'done' ? false : r.acquireRefused,
      giveBackRefused: input.outcome === 'done' ? false : r.giveBackRefused,
      waitingSince: null,
      claimClockSince: null,
      heldElsewhereBy: null,
      expired: false,
    }
    fx.push({ kind: 'send-heartbeat' })
  } else {
    next = {
      ...r,
      status: acquiring ? 'idle' : 'held',
      since: now,
      blocked: blockAfter(s, r, input.outcome, now),
      // A claim lost to the store is not this node refusing: another node holds the key.
      acquireRefused: r.acquireRefused || (acquiring && r.owner !== s.self && input.outcome !== 'claim-lost'),
      giveBackRefused: r.giveBackRefused || giveBackRefusal(s, r, input.outcome),
      waitingSince: null,
      claimClockSince: null,
      heldElsewhereBy: null,
      expired: false,
    }
  }
  return { ...s, resources: { ...s.resources, [r.owner]: next } }
}

/**
 * How a checklist that changed nothing is retried. A failure: after retryAfter. Test's "notification
 * only": a peer's addresses are asked again when the peer's liveness changes, and in any case after
 * NOTIFY_ONLY_RETRY_MS (a refusal may have been passing); a takeover at once if the lost peer was
 * heard while the checklist ran.
 *
 * A refused give-back to a live owner is asked again once, halfway through claimTimeout: the
 * owner's claim clock runs on the plain `held` this node then says, and a refusal that has passed
 * ends before the owner forces its claim. A second refusal waits for the owner's liveness to change
 * or its forced claim (resources.ts asks again then): timed retries would restart the owner's
 * claim clock every time, and run Test and its notification each time.
 */
function blockAfter(
  s: EngineState,
  r: Resource,
  outcome: Exclude<ChecklistOutcome, 'done' | 'yielded'>,
  now: number,
): Resource['blocked'] {
  const action = r.status === 'acquiring' ? 'acquire' : 'release'
  if (outcome === 'claim-lost')
    return { action, retryAt: now + s.timing.retryAfterMs, untilChange: false, untilFree: true }
  const owner = s.peers[r.owner]
  const ownerHeld = action === 'release' && owner !== undefined && ownerHoldsItself(owner, r)
  if (outcome !== 'notify-only')
    return { action, retryAt: now + s.timing.retryAfterMs, untilChange: false, ownerHeld }
  if (!owner) return { action, retryAt: now + NOTIFY_ONLY_RETRY_MS, untilChange: false }
  // Heard while a takeover of a lost owner ran: its liveness changed, the loss asked about may be
  // over. An owner that said it was unfit is heard all along: no change, and asking again at once
  // would run Test back to back for as long as it stays unfit.
  const heardSince = Object.values(owner.links).some((l) => l.lastSeen !== null && l.lastSeen > r.since)
  const backSince = r.fromUnfitOwner ? owner.lost : heardSince
  if (action === 'acquire')
    return backSince ? null : { action, retryAt: now + NOTIFY_ONLY_RETRY_MS, untilChange: true }
  // Not a give-back (the owner is not heard, or says it is unfit: a hand-over to another taker):
  // no forced claim will come, so a minute, as for an acquire.
  if (!giveBackRefusal(s, r, outcome))
    return { action, retryAt: now + NOTIFY_ONLY_RETRY_MS, untilChange: true, ownerHeld }
  const askAgainAt = r.giveBackRefused || ownerHeld ? null : now + s.timing.failback.claimTimeoutMs / 2
  return { action, retryAt: askAgainAt, untilChange: true, ownerHeld }
}

/**
 * A give-back of a peer's addresses that Test refused, its owner heard and fit for them: the owner
 * waits for them, and forces its claim in the end (see blockAfter).
 */
function giveBackRefusal(s: EngineState, r: Resource, outcome: ChecklistOutcome): boolean {
  const owner = s.peers[r.owner]
  return (
    r.status === 'releasing' &&
    outcome === 'notify-only' &&
    r.owner !== s.self &&
    owner?.alive === true &&
    !saysUnfit(owner, r)
  )
}

/**
 * A carrier that went away takes the addresses on it with it (evaluateResource releases them: they
 * cannot be served from here, and holding them would make two holders the moment the cable is back).
 * When it returns, heartbeats go out at once so peers learn this node is back before it claims anything.
 */
function onCarrier(
  s: EngineState,
  input: Extract<Input, { kind: 'carrier' }>,
  now: number,
  fx: Effect[],
): EngineState {
  const wasUp = s.carrier[input.interface]?.up ?? true
  if (wasUp === input.up) return s
  const addresses = Object.values(s.resources).flatMap((r) =>
    r.addresses.filter((a) => a.interface === input.interface).map((a) => cidr(a)),
  )
  fx.push({
    kind: 'emit',
    event: { kind: input.up ? 'carrier-restored' : 'carrier-lost', interface: input.interface, addresses },
  })
  if (input.up) fx.push({ kind: 'send-heartbeat' })
  return { ...s, carrier: { ...s.carrier, [input.interface]: { up: input.up, since: now } } }
}

/**
 * The check runner's verdicts, per address. Each resource whose failing checks changed is told as
 * `unfit` or `fit`; evaluate then moves addresses by the fitness rules (resources.ts). Heartbeats go
 * out at once, so peers act on it without waiting for the next interval.
 */
function onFitness(
  s: EngineState,
  failing: Readonly<Record<string, readonly string[]>>,
  now: number,
  fx: Effect[],
): EngineState {
  let next = { ...s, failing }
  let changed = false
  for (const r of Object.values(s.resources)) {
    const before = failingChecks(s, r)
    const after = failingChecks(next, r)
    if (before.join() === after.join()) continue
    changed = true
    if (after.length > 0) {
      fx.push({ kind: 'emit', event: { kind: 'unfit', owner: r.owner, addresses: names(r), checks: after } })
    } else fx.push({ kind: 'emit', event: { kind: 'fit', owner: r.owner, addresses: names(r) } })
    // Its heartbeats said "unfit" until now: a hand-over's answer is awaited from now on.
    if (after.length === 0 && r.handedTo !== null) {
      const handedTo = { ...r.handedTo, at: now }
      next = { ...next, resources: { ...next.resources, [r.owner]: { ...r, handedTo } } }
    }
  }
  if (changed) fx.push({ kind: 'send-heartbeat' })
  return next
}

function mapResources(s: EngineState, f: (r: Resource) => Resource): EngineState {
  return { ...s, resources: Object.fromEntries(Object.entries(s.resources).map(([k, r]) => [k, f(r)])) }
}
