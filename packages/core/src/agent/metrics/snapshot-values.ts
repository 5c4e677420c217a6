import type { Config } from '../../config/schema.js'
import type { AgentStatus, BeatLag, Counters } from '../../engine/status.js'
import type { Labels } from './catalogue.js'
import { AGENT_STATES, DROP_REASONS, domains, RESOURCE_STATUSES, UNKNOWN_LINK } from './label-values.js'

interface Value {
  readonly value: number
  readonly labels: Labels
  readonly metricName?: string
}

type Read = (s: AgentStatus) => Value[]

const bit = (b: boolean) => (b ? 1 : 0)
const seconds = (ms: number) => ms / 1000

/**
 * How each metric not fed by events is read from one status snapshot. Label values are walked from
 * the config, never from the snapshot's keys: what the status holds beyond the config is not shown.
 */
export function snapshotValues(config: Config, version: string): Record<string, Read> {
  const d = domains(config)
  const peerOf = (s: AgentStatus, id: string) => s.peers.find((p) => p.id === id)
  const resourceOf = (s: AgentStatus, owner: string) => s.resources.find((r) => r.owner === owner)
  const perPeer =
    (read: (p: AgentStatus['peers'][number]) => number | null): Read =>
    (s) =>
      d.peers.flatMap((peer) => {
        const p = peerOf(s, peer)
        const value = p ? read(p) : null
        return value === null ? [] : [{ value, labels: { peer } }]
      })
  const perOwner =
    (read: (r: AgentStatus['resources'][number]) => boolean): Read =>
    (s) =>
      d.owners.flatMap((owner) => {
        const r = resourceOf(s, owner)
        return r ? [{ value: bit(read(r)), labels: { owner } }] : []
      })
  const perPeerLink =
    (read: (l: AgentStatus['peers'][number]['links'][number]) => number | null): Read =>
    (s) =>
      d.peers.flatMap((peer) =>
        d.links.flatMap((link) => {
          const l = peerOf(s, peer)?.links.find((x) => x.name === link)
          const value = l ? read(l) : null
          return value === null ? [] : [{ value, labels: { peer, link } }]
        }),
      )
  const checkOf = (s: AgentStatus, name: string) => s.checks.find((c) => c.name === name)
  const perCheck =
    (read: (c: AgentStatus['checks'][number]) => number | null): Read =>
    (s) =>
      d.checks.flatMap(({ check }) => {
        const c = checkOf(s, check)
        const value = c ? read(c) : null
        return value === null ? [] : [{ value, labels: { check } }]
      })
  const single =
    (read: (s: AgentStatus) => number | undefined): Read =>
    (s) => {
      const value = read(s)
      return value === undefined ? [] : [{ value, labels: {} }]
    }

  return {
    ipfo_info: () => [{ value: 1, labels: { node: config.node, version } }],
    ipfo_agent_state: (s) =>
      AGENT_STATES.map((state) => ({ value: bit(s.state === state), labels: { state } })),
    ipfo_heartbeat_interval_seconds: () => [{ value: seconds(config.interval), labels: {} }],
    ipfo_detection_seconds: () => [{ value: seconds(config.deadAfter), labels: {} }],
    ipfo_heartbeats_sent_total: (s) =>
      d.links.map((link) => ({ value: s.counters.links[link]?.sent ?? 0, labels: { link } })),
    ipfo_heartbeats_received_total: (s) =>
      d.links.flatMap((link) =>
        d.peers.map((peer) => ({
          value: s.counters.links[link]?.received[peer] ?? 0,
          labels: { link, peer },
        })),
      ),
    ipfo_heartbeats_dropped_total: (s) => dropped(s.counters, d.links),
    ipfo_heartbeat_timer_lag_seconds: (s) =>
      beatLag((s.counters as Counters & { beatLag?: BeatLag }).beatLag),
    ipfo_loop_stalls_total: (s) => [{ value: s.counters.loopStalls, labels: {} }],
    ipfo_peer_up: perPeer((p) => bit(p.alive)),
    ipfo_peer_link_up: perPeerLink((l) => bit(l.up)),
    ipfo_peer_last_heard_seconds: perPeerLink((l) =>
      l.lastSeenMsAgo === null ? null : seconds(l.lastSeenMsAgo),
    ),
    ipfo_peer_link_anomaly: perPeer((p) => bit(p.anomaly)),
    ipfo_peer_indirect: perPeer((p) => bit(p.heardVia !== null)),
    ipfo_peer_clock_offset_seconds: perPeer((p) =>
      p.clockOffsetMs === null ? null : seconds(p.clockOffsetMs),
    ),
    ipfo_address_held: (s) => {
      // Held only: not what is advertised (acquiring and releasing are advertised too).
      const held = new Set(
        s.resources
          .filter((r) => r.status === 'held')
          .flatMap((r) => r.addresses.map((a) => `${r.owner} ${a.slice(0, a.lastIndexOf('/'))}`)),
      )
      return d.addresses.map((labels) => ({
        value: bit(held.has(`${labels.owner} ${labels.address}`)),
        labels,
      }))
    },
    ipfo_resource_status: (s) =>
      d.owners.flatMap((owner) => {
        const r = resourceOf(s, owner)
        return r
          ? RESOURCE_STATUSES.map((status) => ({
              value: bit(r.status === status),
              labels: { owner, status },
            }))
          : []
      }),
    ipfo_resource_fit_here: perOwner((r) => r.fitHere),
    ipfo_resource_no_node_fit: perOwner((r) => r.noNodeFit),
    ipfo_resource_blocked: perOwner((r) => r.blocked !== null),
    ipfo_check_passing: (s) =>
      d.checks.flatMap((labels) => {
        const c = checkOf(s, labels.check)
        return c ? [{ value: bit(c.passing), labels }] : []
      }),
    ipfo_check_runs_total: perCheck((c) => c.runs),
    ipfo_check_failures_total: perCheck((c) => c.failures),
    ipfo_check_last_run_age_seconds: perCheck((c) => (c.last ? seconds(c.last.msAgo) : null)),
    ipfo_interface_carrier: (s) =>
      d.interfaces.map((name) => ({ value: bit(!s.noCarrier.includes(name)), labels: { interface: name } })),
    ipfo_quorum_lease_valid: single((s) => (s.quorum ? bit(s.quorum.valid) : undefined)),
    ipfo_quorum_lease_valid_for_seconds: single((s) => (s.quorum ? seconds(s.quorum.validForMs) : undefined)),
    ipfo_quorum_keys_held: single((s) => s.quorum?.held.length),
    ipfo_quorum_last_answered: (s) =>
      s.quorum
        ? d.endpoints.map((endpoint) => ({
            value: bit(s.quorum?.lastAnswered === endpoint),
            labels: { endpoint },
          }))
        : [],
    ipfo_guard_up: single((s) => (s.guard ? bit(s.guard.pid !== null) : undefined)),
    ipfo_guard_restarts_total: single((s) => s.guard?.restarts),
  }
}

/** Per configured link by reason; what no configured link claims (undecodable packets) is `unknown`. */
function dropped(counters: Counters, links: readonly string[]): Value[] {
  return DROP_REASONS.flatMap((reason) => {
    let known = 0
    const perLink = links.map((link) => {
      const value = counters.links[link]?.dropped[reason] ?? 0
      known += value
      return { value, labels: { link, reason } }
    })
    const unknown = Math.max(0, (counters.dropped[reason] ?? 0) - known)
    return [...perLink, { value: unknown, labels: { link: UNKNOWN_LINK, reason } }]
  })
}

/**
 * The engine's buckets in Prometheus's form: `counts[i]` beats fell in bucket i (at most
 * `boundsMs[i]`, above the one before; the last count past the bounds), counted since the agent
 * started. Prometheus wants each bucket with every beat at or under its bound.
 */
function beatLag(lag: BeatLag): Value[] {
  const name = 'ipfo_heartbeat_timer_lag_seconds'
  let running = 0
  const buckets = lag.boundsMs.map((ms, i) => {
    running += lag.counts[i] ?? 0
    return { value: running, labels: { le: String(ms / 1000) }, metricName: `${name}_bucket` }
  })
  const total = lag.counts.reduce((sum, n) => sum + n, 0)
  return [
    ...buckets,
    { value: total, labels: { le: '+Inf' }, metricName: `${name}_bucket` },
    { value: lag.sumMs / 1000, labels: {}, metricName: `${name}_sum` },
    { value: total, labels: {}, metricName: `${name}_count` },
  ]
}
