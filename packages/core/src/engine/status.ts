import type { Config } from '../config/schema.js'
import type { DropReason, IpfoEvent } from '../model/events.js'
import { cidr } from '../model/ip.js'
import { advertisedHeld, advertisedState } from '../state-machine/advertise.js'
import { failingChecks, noNodeFit, selfFit } from '../state-machine/fitness.js'
import { orderOf } from '../state-machine/order.js'
import { holdersOf } from '../state-machine/resources.js'
import type { EngineState, Resource } from '../state-machine/state.js'
import type { LifetimeStatus } from './address-lifetimes.js'
import type { CheckStatus } from './check-runner.js'

export interface Counters {
  sent: number
  received: number
  dropped: Partial<Record<DropReason, number>>
  loopStalls: number
  maxLoopLagMs: number
  /**
   * The same per configured link: heartbeats sent, accepted per peer, and dropped by reason where the
   * packet says its link (one that fails to decode cannot: it counts in `dropped` only). Keys come
   * from the config alone, so a metric labelled by them stays bounded.
   */
  links: Record<string, LinkCounters>
  /**
   * How late each heartbeat's timer fired, in whole ms, as a histogram: `counts[i]` beats were at
   * most `boundsMs[i]` late and more than the bound before; the last count, beyond the largest bound.
   * Not cumulative (Prometheus's buckets are: sum them up to each bound).
   */
  beatLag: BeatLag
}

export interface BeatLag {
  readonly boundsMs: readonly number[]
  readonly counts: number[]
  sumMs: number
}

/** The beat lag histogram's bounds, ms: a 10 ms interval's lag is mostly 0 or 1. */
export const BEAT_LAG_BOUNDS_MS = [0, 1, 2, 5, 10, 20, 50, 100, 250, 1000] as const

export interface LinkCounters {
  sent: number
  received: Record<string, number>
  dropped: Partial<Record<DropReason, number>>
}

/** Counters at zero for these links. */
export function newCounters(links: readonly string[]): Counters {
  return {
    sent: 0,
    received: 0,
    dropped: {},
    loopStalls: 0,
    maxLoopLagMs: 0,
    links: Object.fromEntries(links.map((link) => [link, { sent: 0, received: {}, dropped: {} }])),
    beatLag: { boundsMs: BEAT_LAG_BOUNDS_MS, counts: BEAT_LAG_BOUNDS_MS.map(() => 0).concat(0), sumMs: 0 },
  }
}

/** What `ipfo status --json` prints. A stable, documented shape: add fields, never rename them. */
export interface AgentStatus {
  node: string
  state: 'starting' | 'healthy' | 'maintenance' | 'stopping'
  maintenance: boolean
  incarnation: number
  startedAt: string
  uptimeMs: number
  timing: { intervalMs: number; deadAfterMs: number; detectionMs: number }
  links: string[]
  held: string[]
  peers: {
    id: string
    alive: boolean
    lost: boolean
    anomaly: boolean
    state: string | null
    incarnation: number | null
    /** The interval the peer says it sends at; null until heard. */
    intervalMs: number | null
    /** The peer's wall clock minus ours, from its last heartbeat (includes the network delay). */
    clockOffsetMs: number | null
    held: string[]
    /** The addresses the peer says it could serve and is fit for; null: it says nothing (no checks). */
    fit: string[] | null
    links: { name: string; up: boolean; lastSeenMsAgo: number | null }[]
    /**
     * Heard only through another peer (every link here silent; issue 20): who said so. Null while
     * heard directly, or not at all.
     */
    heardVia: string | null
  }[]
  /** The peers this node hears directly now (on at least one link). */
  hears: string[]
  resources: {
    owner: string
    addresses: string[]
    status: string
    sinceMsAgo: number
    manual: boolean
    heldBack: boolean
    blocked: { action: string; retryInMs: number | null } | null
    /** This node can serve them: no check they require fails, their interfaces have carrier. */
    fitHere: boolean
    /** The checks they require that fail here. */
    failingChecks: string[]
    /** No live node is fit for them (see the no-node-fit event). */
    noNodeFit: boolean
    /**
     * Who may hold them, first to last: the owner, then its takers (issue 20). For this node's own
     * addresses without a configured order, the owner alone.
     */
    order: string[]
    /** Who holds them as this node sees it: itself, a live peer that says so, or null (nobody heard). */
    holder: string | null
    /** Live peers that see the order differently (order-mismatch): what differs. */
    orderMismatch: string[]
  }[]
  /** The health checks (issue 19), in config order; empty without checks. */
  checks: CheckStatus[]
  counters: Counters
  /** Interfaces of this node's addresses that have no carrier: nothing is held or claimed on them. */
  noCarrier: string[]
  /** Hook files the agent refused to run (unsafe owner, mode or symlink), newest first, one per path. */
  refusedHooks: { path: string; reason: string; fix: string }[]
  /** When the machine next re-evaluates on its own (a peer's silence deadline), or null. */
  nextEvaluationInMs?: number | null
  /**
   * The guard (added by the agent): its pid (null while it is started again), how often it died, and
   * what it would do if the agent died now. Absent when no guard runs.
   */
  guard?: {
    pid: number | null
    restarts: number
    handOver: readonly string[]
    keep: readonly string[]
    lastWordLinks: readonly string[]
  }
  /**
   * Kernel lifetimes of held addresses (Linux): an address a peer would take over ends by itself
   * `seconds` after its last renewal, so a frozen agent loses it; the others are kept `forever`.
   * Absent where the platform has no address lifetimes (macOS).
   */
  lifetimes?: LifetimeStatus
  /**
   * Quorum (config `coordination`): whether the lease is known valid and for how long, the store's
   * endpoints and the last that answered, and the keys this node holds with their fencing tokens.
   * Absent without coordination.
   */
  quorum?: {
    valid: boolean
    onLoss: 'release' | 'keep'
    leaseId: string | null
    validForMs: number
    endpoints: string[]
    lastAnswered: string | null
    /** Keys held under the lease: the owner of the addresses (the group) and the key's revision. */
    held: { group: string; revision: string }[]
  }
  /** The agent process (added by the control socket): for monitoring memory and finding its pid. */
  process?: { pid: number; rssBytes: number; heapUsedBytes: number }
}

export function buildStatus(
  s: EngineState,
  ctx: {
    config: Config
    counters: Counters
    incarnation: number
    now: number
    wallNow: number
    peerWire: ReadonlyMap<string, { intervalMs: number; clockOffsetMs: number }>
    recent: readonly IpfoEvent[]
    checks?: CheckStatus[]
  },
): AgentStatus {
  const uptimeMs = ctx.now - s.startedAt
  return {
    node: s.self,
    state: advertisedState(s),
    maintenance: s.maintenance,
    incarnation: ctx.incarnation,
    startedAt: new Date(ctx.wallNow - uptimeMs).toISOString(),
    uptimeMs,
    timing: {
      intervalMs: s.timing.intervalMs,
      deadAfterMs: s.timing.deadAfterMs,
      detectionMs: s.timing.deadAfterMs,
    },
    links: [...s.linkNames],
    held: advertisedHeld(s).map((h) => `${h.ip}/${h.prefix}`),
    peers: Object.values(s.peers).map((p) => ({
      id: p.id,
      alive: p.alive,
      lost: p.lost,
      anomaly: p.anomaly,
      state: p.state,
      incarnation: p.incarnation,
      intervalMs: ctx.peerWire.get(p.id)?.intervalMs ?? null,
      clockOffsetMs: ctx.peerWire.get(p.id)?.clockOffsetMs ?? null,
      held: p.held.map((h) => `${h.ip}/${h.prefix}`),
      fit: p.fit === null ? null : [...p.fit],
      links: s.linkNames.map((name) => {
        const link = p.links[name]
        return {
          name,
          up: link?.up ?? false,
          lastSeenMsAgo: link?.lastSeen != null ? ctx.now - link.lastSeen : null,
        }
      }),
      heardVia: p.indirect ? (p.relay?.via ?? null) : null,
    })),
    hears: Object.values(s.peers)
      .filter((p) => p.alive && !p.indirect)
      .map((p) => p.id),
    resources: Object.values(s.resources).map((r) => ({
      owner: r.owner,
      addresses: r.addresses.map((a) => `${cidr(a)}@${a.interface}`),
      status: r.status,
      sinceMsAgo: ctx.now - r.since,
      manual: r.manual,
      heldBack: r.heldBack,
      blocked: r.blocked
        ? {
            action: r.blocked.action,
            retryInMs: r.blocked.retryAt === null ? null : r.blocked.retryAt - ctx.now,
          }
        : null,
      fitHere: selfFit(s, r),
      failingChecks: failingChecks(s, r),
      noNodeFit: noNodeFit(s, r),
      order: orderOf(r),
      holder: holderOf(s, r),
      orderMismatch: Object.entries(s.mismatches)
        .filter(([key]) => key.endsWith(` ${r.owner}`) && s.peers[key.split(' ')[0] ?? '']?.alive)
        .map(([, text]) => text),
    })),
    checks: ctx.checks ?? [],
    counters: structuredClone(ctx.counters),
    noCarrier: Object.entries(s.carrier)
      .filter(([, c]) => !c.up)
      .map(([name]) => name),
    refusedHooks: refusedHooks(ctx.recent),
  }
}

function holderOf(s: EngineState, r: Resource): string | null {
  if (r.status === 'held' || r.status === 'acquiring' || r.status === 'releasing') return s.self
  return holdersOf(s, r, undefined)[0]?.peer.id ?? null
}

function refusedHooks(recent: readonly IpfoEvent[]): AgentStatus['refusedHooks'] {
  const byPath = new Map<string, AgentStatus['refusedHooks'][number]>()
  for (const e of [...recent].reverse()) {
    if (e.kind === 'hook-refused' && !byPath.has(e.path))
      byPath.set(e.path, { path: e.path, reason: e.reason, fix: e.fix })
  }
  return [...byPath.values()]
}
