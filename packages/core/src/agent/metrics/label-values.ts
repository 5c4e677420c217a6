import type { Config } from '../../config/schema.js'
import { type ChecklistStep, DROP_REASONS } from '../../model/events.js'
import { HOOK_PHASES } from '../../model/hook-contract.js'

/**
 * The values a metric label may take: closed lists, and what the config names (links, peers,
 * addresses, checks). Nothing here comes from a packet or an event's text.
 */

export { DROP_REASONS }

/** Drops whose packet did not say (or could not be trusted to say) a configured link. */
export const UNKNOWN_LINK = 'unknown'
export const AGENT_STATES = ['starting', 'healthy', 'maintenance', 'stopping'] as const
export const RESOURCE_STATUSES = ['waiting', 'idle', 'acquiring', 'held', 'releasing'] as const
export const CHECKLIST_ACTIONS = ['acquire', 'release'] as const

/** The steps of an acquire checklist (checklist-finished), in the order they run. */
const ACQUIRE_STEPS = [
  'claim',
  'arbitrate',
  'gate',
  'PreAcq',
  'add',
  'announce',
  'PostAcq',
  'notify',
] as const satisfies readonly ChecklistStep[]
/**
 * A takeover's steps: decision (the silence that decided it, from the last heartbeat), the acquire
 * checklist's steps, and total (the checklist's whole run).
 */
export const TAKEOVER_STEPS = ['decision', ...ACQUIRE_STEPS, 'total'] as const
export const HOOK_RUN_PHASES = ['Test', ...HOOK_PHASES, 'Notify'] as const
/** `vetoed`: the Test hook's non-zero exit (notification-only), its designed answer. */
export const HOOK_RESULTS = ['ok', 'failed', 'vetoed', 'timeout', 'signal'] as const

/** Seconds. The default 5 ms..10 s would hide the steps that take a millisecond or two. */
export const STEP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
export const HOOK_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/** The config's bounded label values. */
export function domains(config: Config) {
  const addresses = [
    ...config.owns.map((a) => ({ owner: config.node, a })),
    ...config.peers.flatMap((p) => p.takeover.map((a) => ({ owner: p.id, a }))),
  ]
  return {
    links: config.links.map((l) => l.name),
    peers: config.peers.map((p) => p.id),
    /** Nodes whose addresses this node holds or may take over: the resources. */
    owners: [...new Set(addresses.map((x) => x.owner))],
    addresses: addresses.map(({ owner, a }) => ({ owner, address: a.ip, interface: a.interface })),
    interfaces: [...new Set(addresses.map((x) => x.a.interface))],
    checks: Object.entries(config.checks).map(([check, c]) => ({ check, kind: c.kind })),
    endpoints: config.coordination?.endpoints ?? [],
  }
}
