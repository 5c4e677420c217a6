import type { Config } from '../../config/schema.js'
import { ACQUIRE_CAUSES, CHECKLIST_OUTCOMES, EVENT_KINDS, RELEASE_CAUSES } from '../../model/events.js'
import {
  AGENT_STATES,
  CHECKLIST_ACTIONS,
  DROP_REASONS,
  domains,
  HOOK_BUCKETS,
  HOOK_RESULTS,
  HOOK_RUN_PHASES,
  RESOURCE_STATUSES,
  STEP_BUCKETS,
  TAKEOVER_STEPS,
  UNKNOWN_LINK,
} from './label-values.js'

/**
 * Every metric of the Prometheus endpoint (issue 22): name, type, help, and the label sets it may
 * have, computed from the config alone. Pure (no prom-client): the meter builds its series from it,
 * the docs' reference table is generated from it, and the bounded-labels test adds it up. A label
 * value never comes from a packet, a reason text or a script name.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram'
export type Labels = Readonly<Record<string, string>>

export interface MetricSpec {
  readonly name: string
  readonly type: MetricType
  readonly help: string
  /** Label names and, for the docs, where their values come from. */
  readonly labels: Readonly<Record<string, string>>
  readonly buckets?: readonly number[]
  /** What the value is read from, for the docs. */
  readonly source: string
  /** Every label set the metric may have with this config (a counter starts each at 0). */
  readonly series: (config: Config) => readonly Labels[]
}

const none: readonly Labels[] = [{}]
const one = (name: string, values: readonly string[]) => values.map((v) => ({ [name]: v }))
const cross = (left: readonly Labels[], name: string, values: readonly string[]): Labels[] =>
  left.flatMap((l) => values.map((v) => ({ ...l, [name]: v })))
const quorum = (config: Config) => (config.coordination ? none : [])

const spec = (
  name: string,
  type: MetricType,
  help: string,
  source: string,
  series: MetricSpec['series'] = () => none,
  labels: MetricSpec['labels'] = {},
  buckets?: readonly number[],
): MetricSpec => ({ name, type, help, source, series, labels, ...(buckets ? { buckets } : {}) })

export const METRICS: readonly MetricSpec[] = [
  spec(
    'ipfo_info',
    'gauge',
    'Always 1: the node and the ipfo version.',
    'config',
    (c) => [{ node: c.node, version: '' }],
    { node: 'config node', version: 'the @ipfo/core version' },
  ),
  spec(
    'ipfo_agent_state',
    'gauge',
    '1 for the state the agent is in, 0 for the others.',
    'status state',
    () => one('state', AGENT_STATES),
    { state: AGENT_STATES.join(', ') },
  ),
  spec(
    'ipfo_heartbeat_interval_seconds',
    'gauge',
    'How often heartbeats are sent (config interval).',
    'config',
  ),
  spec(
    'ipfo_detection_seconds',
    'gauge',
    'How long a peer may be silent on every link before it is lost (deadAfter).',
    'config',
  ),
  spec(
    'ipfo_heartbeats_sent_total',
    'counter',
    'Heartbeats sent, per link.',
    'status counters.links',
    (c) => one('link', domains(c).links),
    { link: 'config links' },
  ),
  spec(
    'ipfo_heartbeats_received_total',
    'counter',
    'Heartbeats accepted, per link and peer.',
    'status counters.links',
    (c) => cross(one('link', domains(c).links), 'peer', domains(c).peers),
    { link: 'config links', peer: 'config peers' },
  ),
  spec(
    'ipfo_heartbeats_dropped_total',
    'counter',
    `Packets dropped, per link and reason; link "${UNKNOWN_LINK}": the packet named no configured link (or could not be decoded).`,
    'status counters',
    (c) => cross(one('link', [...domains(c).links, UNKNOWN_LINK]), 'reason', DROP_REASONS),
    { link: `config links and ${UNKNOWN_LINK}`, reason: DROP_REASONS.join(', ') },
  ),
  spec(
    'ipfo_heartbeat_timer_lag_seconds',
    'histogram',
    'How late the heartbeat timer fired, per beat.',
    'status counters.beatLag',
    () => none,
    {},
    [],
  ),
  spec(
    'ipfo_loop_stalls_total',
    'counter',
    'Times the heartbeat timer ran more than one interval late (loop-stalled).',
    'status counters.loopStalls',
  ),
  spec(
    'ipfo_peer_up',
    'gauge',
    '1 while the peer is alive (heard on a link, or through another peer).',
    'status peers',
    (c) => one('peer', domains(c).peers),
    { peer: 'config peers' },
  ),
  spec(
    'ipfo_peer_link_up',
    'gauge',
    '1 while the peer is heard on the link.',
    'status peers[].links',
    (c) => cross(one('peer', domains(c).peers), 'link', domains(c).links),
    { peer: 'config peers', link: 'config links' },
  ),
  spec(
    'ipfo_peer_last_heard_seconds',
    'gauge',
    "Seconds since the peer's last heartbeat on the link (no series until first heard).",
    'status peers[].links',
    (c) => cross(one('peer', domains(c).peers), 'link', domains(c).links),
    { peer: 'config peers', link: 'config links' },
  ),
  spec(
    'ipfo_peer_link_anomaly',
    'gauge',
    '1 while some links to the peer are silent and others not.',
    'status peers',
    (c) => one('peer', domains(c).peers),
    { peer: 'config peers' },
  ),
  spec(
    'ipfo_peer_indirect',
    'gauge',
    'Heard only through another peer (every link here silent).',
    'status peers[].heardVia',
    (c) => one('peer', domains(c).peers),
    { peer: 'config peers' },
  ),
  spec(
    'ipfo_peer_clock_offset_seconds',
    'gauge',
    "The peer's wall clock minus this node's, from its last heartbeat (includes the network delay).",
    'status peers',
    (c) => one('peer', domains(c).peers),
    { peer: 'config peers' },
  ),
  spec(
    'ipfo_address_held',
    'gauge',
    '1 while this node holds the address (status held: not while acquiring or releasing). Two holders: sum by (address) (ipfo_address_held) > 1.',
    'status held',
    (c) => domains(c).addresses,
    { owner: 'config node or peer', address: 'config addresses (IP)', interface: 'config interface' },
  ),
  spec(
    'ipfo_resource_status',
    'gauge',
    "1 for the status of the owner's addresses here, 0 for the others.",
    'status resources',
    (c) => cross(one('owner', domains(c).owners), 'status', RESOURCE_STATUSES),
    { owner: 'config node or peer', status: RESOURCE_STATUSES.join(', ') },
  ),
  spec(
    'ipfo_resource_fit_here',
    'gauge',
    "1 while this node can serve the owner's addresses (checks, carrier).",
    'status resources',
    (c) => one('owner', domains(c).owners),
    { owner: 'config node or peer' },
  ),
  spec(
    'ipfo_resource_no_node_fit',
    'gauge',
    "1 while no live node is fit for the owner's addresses.",
    'status resources',
    (c) => one('owner', domains(c).owners),
    { owner: 'config node or peer' },
  ),
  spec(
    'ipfo_resource_blocked',
    'gauge',
    "1 while an acquire or release of the owner's addresses is blocked (refused, failed, waiting to retry).",
    'status resources',
    (c) => one('owner', domains(c).owners),
    { owner: 'config node or peer' },
  ),
  spec(
    'ipfo_acquires_total',
    'counter',
    'Acquires started, per owner and cause.',
    'acquiring events',
    (c) => cross(one('owner', domains(c).owners), 'cause', ACQUIRE_CAUSES),
    { owner: 'config node or peer', cause: ACQUIRE_CAUSES.join(', ') },
  ),
  spec(
    'ipfo_releases_total',
    'counter',
    'Releases started, per owner and cause.',
    'releasing events',
    (c) => cross(one('owner', domains(c).owners), 'cause', RELEASE_CAUSES),
    { owner: 'config node or peer', cause: RELEASE_CAUSES.join(', ') },
  ),
  spec(
    'ipfo_checklists_total',
    'counter',
    'Checklists that ended, per action and outcome.',
    'checklist-finished events',
    () => cross(one('action', CHECKLIST_ACTIONS), 'outcome', CHECKLIST_OUTCOMES),
    { action: CHECKLIST_ACTIONS.join(', '), outcome: CHECKLIST_OUTCOMES.join(', ') },
  ),
  spec(
    'ipfo_takeover_step_seconds',
    'histogram',
    "How long each step of a takeover took (an acquire caused by peer-lost or peer-unfit; not one at boot, an operator's or a claim-timeout's): every step of its checklist but an abandon's undo; for one that was done, also decision (the silence that decided it) and total (the whole checklist).",
    'checklist-finished events',
    () => one('step', TAKEOVER_STEPS),
    { step: TAKEOVER_STEPS.join(', ') },
    STEP_BUCKETS,
  ),
  spec(
    'ipfo_hook_runs_total',
    'counter',
    'Hook runs, per phase and result. vetoed: the Test hook exited non-zero (its designed answer: notification only), not a failure.',
    'hook-finished events',
    () => [
      ...cross(
        one('phase', HOOK_RUN_PHASES),
        'result',
        HOOK_RESULTS.filter((r) => r !== 'vetoed'),
      ),
      { phase: 'Test', result: 'vetoed' },
    ],
    { phase: HOOK_RUN_PHASES.join(', '), result: HOOK_RESULTS.join(', ') },
  ),
  spec(
    'ipfo_hook_duration_seconds',
    'histogram',
    'How long hooks ran, per phase.',
    'hook-finished events',
    () => one('phase', HOOK_RUN_PHASES),
    { phase: HOOK_RUN_PHASES.join(', ') },
    HOOK_BUCKETS,
  ),
  spec(
    'ipfo_hooks_refused_total',
    'counter',
    'Unsafe hook files not run, per phase.',
    'hook-refused events',
    () => one('phase', HOOK_RUN_PHASES),
    { phase: HOOK_RUN_PHASES.join(', ') },
  ),
  spec(
    'ipfo_check_passing',
    'gauge',
    "1 while the health check's verdict is passing.",
    'status checks',
    (c) => domains(c).checks,
    { check: 'config checks', kind: 'the check kind' },
  ),
  spec(
    'ipfo_check_runs_total',
    'counter',
    'Health check runs.',
    'status checks',
    (c) =>
      one(
        'check',
        domains(c).checks.map((x) => x.check),
      ),
    { check: 'config checks' },
  ),
  spec(
    'ipfo_check_failures_total',
    'counter',
    'Health check runs that failed.',
    'status checks',
    (c) =>
      one(
        'check',
        domains(c).checks.map((x) => x.check),
      ),
    { check: 'config checks' },
  ),
  spec(
    'ipfo_check_last_run_age_seconds',
    'gauge',
    "Seconds since the check's last run ended (no series before the first).",
    'status checks',
    (c) =>
      one(
        'check',
        domains(c).checks.map((x) => x.check),
      ),
    { check: 'config checks' },
  ),
  spec(
    'ipfo_interface_carrier',
    'gauge',
    '1 unless a carrier loss was reported on the interface of an address.',
    'status noCarrier',
    (c) => one('interface', domains(c).interfaces),
    { interface: 'config interfaces' },
  ),
  spec(
    'ipfo_quorum_lease_valid',
    'gauge',
    '1 while the etcd lease is known valid (coordination only).',
    'status quorum',
    quorum,
  ),
  spec(
    'ipfo_quorum_lease_valid_for_seconds',
    'gauge',
    'How long the lease stays valid without another renewal.',
    'status quorum',
    quorum,
  ),
  spec('ipfo_quorum_keys_held', 'gauge', 'Holder keys held under the lease.', 'status quorum', quorum),
  spec(
    'ipfo_quorum_reachable',
    'gauge',
    '0 after quorum-unreachable, until a member answers again.',
    'quorum-unreachable and quorum-reachable events',
    quorum,
  ),
  spec(
    'ipfo_quorum_last_answered',
    'gauge',
    '1 for the etcd endpoint that answered last.',
    'status quorum',
    (c) => one('endpoint', domains(c).endpoints),
    { endpoint: 'config coordination.endpoints' },
  ),
  spec(
    'ipfo_guard_up',
    'gauge',
    '1 while the guard process runs (no series without a guard).',
    'status guard',
  ),
  spec('ipfo_guard_restarts_total', 'counter', 'Times the guard died and was started again.', 'status guard'),
  spec(
    'ipfo_events_total',
    'counter',
    'Events, per kind (see the monitoring page).',
    'every event',
    () => one('kind', EVENT_KINDS),
    { kind: 'every event kind' },
  ),
  spec(
    'ipfo_metrics_render_seconds',
    'gauge',
    'How long the previous scrape took to render.',
    'the endpoint',
  ),
]

/** Exposition lines a metric can have: one per label set, a histogram's buckets (with +Inf), sum and count. */
export function seriesBound(config: Config, beatLagBuckets = 0): number {
  return METRICS.reduce((sum, m) => {
    const lines = m.type !== 'histogram' ? 1 : (m.buckets?.length || beatLagBuckets) + 3
    return sum + m.series(config).length * lines
  }, 0)
}
