import type { AgentStatus, Config, IpfoEvent } from '@ipfo/core'
import { type CheckResult, fail, pass, warn } from './check.js'

/** A clock difference that makes logs from the two nodes hard to line up. */
const CLOCK_WARN_MS = 1_000
/** Drops older than this are history (the agent reports each reason at most every 10 s while it lasts). */
const RECENT_DROP_MS = 30_000

/** What else the doctor knows besides the agent's status: its recent events and this node's key ids. */
export interface PeerEvidence {
  /** The agent's recent events (the `events` control method). */
  readonly events: readonly IpfoEvent[]
  /** The ids of this node's keys: the signing key first, then the accepted ones. */
  readonly keyIds: readonly number[]
  /** Wall-clock now, ms since epoch. */
  readonly now: number
}

const NO_EVIDENCE: PeerEvidence = { events: [], keyIds: [], now: 0 }
const hex = (id: number) => `0x${id.toString(16).padStart(2, '0')}`

/**
 * What the running agent knows of its peers: each heard on every link, sending at the same interval,
 * with the same key, on links of the same names, holding the addresses this node would take over,
 * clocks agreeing. The agent's status does not carry a peer's deadAfter or port, so those cannot be
 * compared; a link heard at all proves the ports line up.
 */
export function checkPeers(
  config: Config,
  status: AgentStatus | undefined,
  evidence: PeerEvidence = NO_EVIDENCE,
): CheckResult[] {
  if (!status) {
    return [
      warn(
        'peers',
        "the agent is not running, so links, clocks and the peers' settings cannot be checked",
        'start the agent (ipfo agent) and run ipfo doctor again',
      ),
    ]
  }
  const results: CheckResult[] = []
  for (const peer of status.peers) {
    for (const link of peer.links) {
      const port = config.links.find((l) => l.name === link.name)?.port ?? config.port
      results.push(
        link.up
          ? pass(`${peer.id} on ${link.name}`, `heartbeat ${link.lastSeenMsAgo}ms ago`)
          : warn(
              `${peer.id} on ${link.name}`,
              link.lastSeenMsAgo === null ? 'never heard' : `silent for ${link.lastSeenMsAgo}ms`,
              `check the link, the peer's agent, its "links" and any firewall on UDP port ${port} (see "firewall on ${link.name}")`,
            ),
      )
    }
    if (peer.intervalMs !== null) {
      results.push(
        peer.intervalMs === config.interval
          ? pass(`${peer.id} settings`, `sends every ${peer.intervalMs}ms, as this node`)
          : warn(
              `${peer.id} settings`,
              `sends every ${peer.intervalMs}ms, this node every ${config.interval}ms`,
              'use the same interval and deadAfter on both nodes, or detection times differ by direction',
            ),
      )
    }
    results.push(...checkAddresses(config, status, peer))
    if (peer.clockOffsetMs !== null) {
      const off = Math.abs(peer.clockOffsetMs)
      results.push(
        off <= CLOCK_WARN_MS
          ? pass(`${peer.id} clock`, `within ${off}ms of this node's`)
          : warn(
              `${peer.id} clock`,
              `${off}ms apart from this node's`,
              'run NTP (chrony or systemd-timesyncd) on both nodes',
            ),
      )
    }
  }
  results.push(...checkOrders(status))
  results.push(...checkDrops(config, status, evidence))
  return results
}

/**
 * Every live peer sees each order (who takes an owner's addresses over, first to last) as this node
 * does: a disagreement stops this node from taking those addresses over at all (order-mismatch).
 */
function checkOrders(status: AgentStatus): CheckResult[] {
  const results: CheckResult[] = []
  for (const r of status.resources ?? []) {
    const check = `order of ${r.owner}'s addresses`
    const mismatch = r.orderMismatch ?? []
    if (mismatch.length > 0)
      results.push(
        fail(
          check,
          `${mismatch.join('; ')}: none of them is taken over here until the configs agree`,
          `list the same takers, in the same order, with the same addresses, on every node (peers[].takers and "takeover", or "takers" and "owns" on ${r.owner}), then reload each agent (SIGHUP)`,
        ),
      )
    else if ((r.order?.length ?? 0) > 2)
      results.push(pass(check, `${r.order?.join(', ')}, as every live peer says`))
  }
  return results
}

/** The peer holds what this node would take over for it, and nothing this node does not know of. */
function checkAddresses(
  config: Config,
  status: AgentStatus,
  peer: AgentStatus['peers'][number],
): CheckResult[] {
  if (!peer.alive || peer.state !== 'healthy') return []
  const check = `${peer.id} addresses`
  const takeover = (config.peers.find((p) => p.id === peer.id)?.takeover ?? []).map(
    (a) => `${a.ip}/${a.prefix}`,
  )
  const everywhere = new Set(
    [...config.owns, ...config.peers.flatMap((p) => p.takeover)].map((a) => `${a.ip}/${a.prefix}`),
  )
  // With more than one peer, a peer may hold a third node's addresses this node has no part in.
  const unknown = config.peers.length > 1 ? [] : peer.held.filter((h) => !everywhere.has(h))
  if (unknown.length > 0)
    return [
      warn(
        check,
        `${peer.id} holds ${unknown.join(', ')}, which this node would not take over if ${peer.id} failed`,
        `add ${unknown.length === 1 ? 'it' : 'them'} to the "takeover" of peer ${peer.id} in ${config.node}'s config`,
      ),
    ]
  const missing = takeover.filter((a) => !peer.held.includes(a))
  // Held here or by another taker (a takeover, a failback under way): nothing to say about the owner's config.
  const resource = status.resources.find((r) => r.owner === peer.id)
  if (missing.length > 0 && (resource?.status !== 'idle' || (resource.holder ?? peer.id) !== peer.id))
    return []
  // Not held by a healthy owner, nor by this node: the owner's "owns" may lack it.
  if (missing.length > 0)
    return [
      warn(
        check,
        `${peer.id} is healthy but does not hold ${missing.join(', ')}, which this node would take over for it`,
        `list the same addresses in ${peer.id}'s "owns" and in this node's "takeover" for ${peer.id} (or was it released there by hand?)`,
      ),
    ]
  return takeover.length > 0
    ? [pass(check, `holds ${takeover.join(', ')}, as this node's "takeover" for it says`)]
    : []
}

/** Heartbeats the agent dropped lately: another key, an unknown node, a link of another name. */
function checkDrops(config: Config, status: AgentStatus, evidence: PeerEvidence): CheckResult[] {
  const drops = new Map<string, Extract<IpfoEvent, { kind: 'packet-dropped' }>>()
  for (const e of evidence.events) {
    if (e.kind !== 'packet-dropped' || evidence.now - e.time > RECENT_DROP_MS) continue
    drops.set(`${e.reason} ${e.from}`, e)
  }
  const results: CheckResult[] = []
  const badKey = [...drops.values()].filter((d) => d.reason === 'bad-mac')
  const ours = evidence.keyIds.length ? ` (this node signs with key ${hex(evidence.keyIds[0]!)})` : ''
  if (badKey.length > 0) {
    results.push(
      fail(
        'heartbeat key',
        `heartbeats from ${badKey.map((d) => `${d.from} (${d.detail})`).join(', ')} are dropped${ours}`,
        `every node needs the same key: copy ${config.key} to the peer (or list the peer's key in "acceptKeys" while rotating), then reload both agents (SIGHUP)`,
      ),
    )
  } else if (
    status.peers.length > 0 &&
    status.peers.every((p) => p.links.some((l) => l.lastSeenMsAgo !== null))
  ) {
    results.push(pass('heartbeat key', `every peer's heartbeats verify with this node's keys${ours}`))
  }
  for (const d of drops.values()) {
    if (d.reason === 'unknown-node')
      results.push(
        warn('peer ids', `${d.from}: ${d.detail}`, `add it to "peers", or fix "node" in the sender's config`),
      )
    else if (d.reason === 'malformed' && d.detail.includes('is not configured here'))
      results.push(
        warn('link names', `${d.from}: ${d.detail}`, 'name the links the same on both nodes (links[].name)'),
      )
    else if (d.reason === 'wrong-version')
      results.push(
        warn('heartbeat version', `${d.from}: ${d.detail}`, 'run the same ipfo version on both nodes'),
      )
  }
  return results
}
