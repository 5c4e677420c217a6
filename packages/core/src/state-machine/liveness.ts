import type { Effect } from './effects.js'
import type { EngineState, LinkView, PeerView, Timing } from './state.js'

/** How long links keep their verdict after a stall of this node's own: two intervals, at most deadAfter. */
export function stallGraceMs(timing: Pick<Timing, 'intervalMs' | 'deadAfterMs'>): number {
  return Math.min(2 * timing.intervalMs, timing.deadAfterMs)
}

/**
 * Whether a link up until now keeps "up" though silent for deadAfter: within the grace after a stall
 * of this node's own, and never for more than deadAfter plus one grace of silence, however often this
 * node stalls (a busy host stalling every other beat must not keep a dead peer alive).
 */
function keptUp(state: EngineState, link: LinkView, now: number): boolean {
  return (
    now < state.stallGraceUntil &&
    link.up &&
    link.lastSeen !== null &&
    now - link.lastSeen < state.timing.deadAfterMs + stallGraceMs(state.timing)
  )
}

/** The relay's analog of keptUp: a peer alive only through another stays so within the same bounds. */
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
    // Just after a stall of this node's own, a link keeps its verdict "up" for a while (keptUp).
    const isUp =
      !departed && link.lastSeen !== null && (now - link.lastSeen < deadAfterMs || keptUp(state, link, now))
    const isDown = departed || (!isUp && now - base >= deadAfterMs)
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

/** The earliest future moment a link of this peer changes state on its own. */
export function peerDeadline(state: EngineState, peer: PeerView, now: number): number | undefined {
  let next: number | undefined
  for (const name of state.linkNames) {
    const link = peer.links[name]
    const base = Math.max(link?.lastSeen ?? state.startedAt, state.judgeFrom)
    const at = base + state.timing.deadAfterMs
    if (at > now && (next === undefined || at < next)) next = at
    // Kept up through a stall: judged again once the most silence a grace excuses has passed.
    if (link && keptUp(state, link, now)) {
      const cap = (link.lastSeen ?? now) + state.timing.deadAfterMs + stallGraceMs(state.timing)
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
