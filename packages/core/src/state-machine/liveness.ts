import type { Effect } from './effects.js'
import type { EngineState, LinkView, PeerView, Timing } from './state.js'

/** How long links keep their verdict after a stall of this node's own: two intervals, at most deadAfter. */
export function stallGraceMs(timing: Pick<Timing, 'intervalMs' | 'deadAfterMs'>): number {
  return Math.min(2 * timing.intervalMs, timing.deadAfterMs)
}

/**
 * Whether a link keeps its verdict though silent for deadAfter: within the grace after a stall of
 * this node's own, a link up until now stays up, and one not yet judged down (never heard since the
 * start, as when the stall comes in the agent's first turns) is not judged down. Never for more than
 * deadAfter plus one grace of silence, however often this node stalls (a busy host stalling every
 * other beat must not keep a dead peer alive). A link already down stays down.
 */
function keptThroughStall(state: EngineState, link: LinkView, base: number, now: number): boolean {
  const silentSince = link.lastSeen ?? base
  return (
    now < state.stallGraceUntil &&
    !link.reportedLost &&
    now - silentSince < state.timing.deadAfterMs + stallGraceMs(state.timing)
  )
}

/** The relay's analog of keptThroughStall: a peer alive only through another stays so within the same bounds. */
function relayKeptUp(state: EngineState, peer: PeerView, now: number): boolean {
  return (
    peer.indirect &&
    peer.relay !== null &&
    now < state.stallGraceUntil &&
    now - peer.relay.lastSeen < state.timing.deadAfterMs + stallGraceMs(state.timing)
  )
}

/**
 * Peer liveness from per-link last-seen times. A link is up while its last heartbeat is younger than
 * deadAfter, down once it is that old (a link never heard counts from the agent's start). A peer is
 * lost only when every link is down and no other peer has heard it within deadAfter either (relay.ts);
 * some down and some up is an anomaly, never a takeover.
 */
export function evaluatePeer(state: EngineState, peer: PeerView, now: number, fx: Effect[]): PeerView {
  const { deadAfterMs } = state.timing
  const links: Record<string, LinkView> = {}
  const up: string[] = []
  const down: string[] = []
  let newest = state.judgeFrom
  // A peer that said goodbye (stopping, holding nothing) is gone now, not deadAfter from now.
  const departed = peer.state === 'stopping' && peer.held.length === 0
  for (const name of state.linkNames) {
    const link = peer.links[name] ?? { lastSeen: null, up: false, reportedLost: false }
    const base = Math.max(link.lastSeen ?? state.startedAt, state.judgeFrom)
    newest = Math.max(newest, base)
    // Just after a stall of this node's own, a link keeps its verdict for a while (keptThroughStall).
    const kept = keptThroughStall(state, link, base, now)
    const isUp =
      !departed && link.lastSeen !== null && (now - link.lastSeen < deadAfterMs || (kept && link.up))
    const isDown = departed || (!isUp && now - base >= deadAfterMs && !kept)
    let reportedLost = link.reportedLost
    if (isDown && !reportedLost) {
      reportedLost = true
      fx.push({
        kind: 'emit',
        event: { kind: 'heartbeat-lost', peer: peer.id, link: name, silentForMs: now - base },
      })
    }
    if (isUp) up.push(name)
    if (isDown) down.push(name)
    links[name] =
      link.up === isUp && link.reportedLost === reportedLost
        ? link
        : { lastSeen: link.lastSeen, up: isUp, reportedLost }
  }

  // Heard of through another peer (relay.ts): alive, though every link here is silent.
  const relay = peer.relay
  const relayed =
    !departed && relay !== null && (now - relay.lastSeen < deadAfterMs || relayKeptUp(state, peer, now))
  const alive = up.length > 0 || relayed
  const indirect = alive && up.length === 0
  if (indirect && !peer.indirect) {
    fx.push({ kind: 'emit', event: { kind: 'peer-indirect', peer: peer.id, via: peer.relay?.via ?? '' } })
  } else if (!indirect && peer.indirect && up.length > 0) {
    fx.push({ kind: 'emit', event: { kind: 'peer-indirect-cleared', peer: peer.id } })
  }
  if (peer.relay !== null) newest = Math.max(newest, peer.relay.lastSeen)
  // Heard of again through another peer: no longer lost (heard directly, onHeartbeat says so).
  let lost = alive ? false : peer.lost
  if (!alive && !lost && down.length === state.linkNames.length) {
    lost = true
    fx.push({
      kind: 'emit',
      event: { kind: 'peer-lost', peer: peer.id, silentForMs: now - newest, links: down },
    })
  }

  const mixed = peer.everHeard && up.length > 0 && down.length > 0
  const mixedSince = mixed ? (peer.mixedSince ?? now) : null
  const anomaly = mixed && (peer.anomaly || now - (mixedSince ?? now) >= state.timing.intervalMs)
  if (anomaly && (!peer.anomaly || !sameMembers(peer.anomalyDown, down))) {
    fx.push({ kind: 'emit', event: { kind: 'link-anomaly', peer: peer.id, up, down } })
  } else if (!anomaly && peer.anomaly && alive) {
    fx.push({ kind: 'emit', event: { kind: 'link-anomaly-cleared', peer: peer.id } })
  }

  return {
    ...peer,
    links,
    alive,
    lost,
    indirect,
    anomaly,
    anomalyDown: anomaly ? down : [],
    mixedSince,
    aliveSince: alive ? (peer.aliveSince ?? now) : null,
  }
}

/**
 * Whether the start-up wait is over: every peer has been heard (or heard of), or judged lost, its
 * links silent for deadAfter since the agent started listening (longer when the agent stalled in its
 * first turns: keptThroughStall). Until then an owner claims none of its own addresses, which a peer
 * it has not heard yet may hold.
 */
export function startupDone(peers: Readonly<Record<string, PeerView>>): boolean {
  return Object.values(peers).every((p) => p.everHeard || p.lost)
}

/** The earliest future moment a link of this peer changes state on its own. */
export function peerDeadline(state: EngineState, peer: PeerView, now: number): number | undefined {
  let next: number | undefined
  for (const name of state.linkNames) {
    const link = peer.links[name]
    const base = Math.max(link?.lastSeen ?? state.startedAt, state.judgeFrom)
    const at = base + state.timing.deadAfterMs
    if (at > now && (next === undefined || at < next)) next = at
    // Kept through a stall: judged again once the most silence a grace excuses has passed.
    const kept = link ?? { lastSeen: null, up: false, reportedLost: false }
    if (keptThroughStall(state, kept, base, now)) {
      const cap = (kept.lastSeen ?? base) + state.timing.deadAfterMs + stallGraceMs(state.timing)
      if (cap > now && (next === undefined || cap < next)) next = cap
    }
  }
  if (peer.relay !== null) {
    const relayed = peer.relay.lastSeen + state.timing.deadAfterMs
    if (relayed > now && (next === undefined || relayed < next)) next = relayed
    // Kept alive through a stall: judged again at the end of what a grace excuses, as a link is.
    const cap = relayed + stallGraceMs(state.timing)
    if (relayKeptUp(state, peer, now) && cap > now && (next === undefined || cap < next)) next = cap
  }
  return next
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}
