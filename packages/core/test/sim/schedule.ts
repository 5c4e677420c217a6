import type { HookPhase } from '../../src/model/hook-contract.js'

/**
 * A scenario as data: the cluster, its timers and the faults, each at a simulated time. A schedule
 * replays without the generator that made it (regression files are schedules), and every number
 * in it is whole milliseconds, so it reads as it runs.
 */
export interface Schedule {
  readonly version: 1
  /**
   * The generator that made it from `seed` (absent: 1). A seed's schedule changes when the
   * generator does; a saved schedule replays as it is.
   */
  readonly generator?: number
  /** The generator seed it came from; also seeds the packet-level draws (loss, jitter). */
  readonly seed: number
  readonly mode: TimerMode
  readonly horizonMs: number
  readonly setup: Setup
  readonly faults: readonly Fault[]
}

/** `defaults`: the shipped timers (1 s heartbeats, 3 s deadAfter, 30 s stableFor). `random`: random ratios. */
export type TimerMode = 'defaults' | 'random'

export interface NodeSetup {
  readonly id: string
  /** Addresses this node owns, as CIDR on eth0. */
  readonly owns: readonly string[]
  /** Peers whose addresses this node takes over (every address they own). */
  readonly watches: readonly string[]
  /**
   * The order of this node's own addresses after it (issue 20): who takes them over, first to last.
   * Absent in a pair (each watcher alone, as before orders). With it, every node's config gives it
   * (the top-level `takers` here, `peers[].takers` on each taker), and `watches` lists the owners
   * whose order names this node.
   */
  readonly takers?: readonly string[]
  /** Monotonic and wall clock rate against true time (1.001 runs 0.1 % fast). */
  readonly clockRate: number
  /** Offset of its wall clock from true time, ms. */
  readonly wallOffsetMs: number
  /** When its agent first starts. */
  readonly startAt: number
}

export interface Timers {
  readonly intervalMs: number
  readonly deadAfterMs: number
  readonly policy: 'auto' | 'manual' | 'stable'
  readonly stableForMs: number
  /** Absent: the config's default. */
  readonly claimTimeoutMs?: number
  /**
   * Set claimTimeout after the config schema ran, so that a value it refuses can be tried (the
   * planted-bug check of issue 16 needs claimTimeout near stableFor).
   */
  readonly bypassSchema?: boolean
  readonly carrierSettleMs: number
  readonly announceCount: number
  readonly announceIntervalMs: number
  readonly onStop: 'release' | 'keep'
  readonly onCarrierLoss: 'release' | 'ignore'
  /** `probe: true` with the simulated arbiter (it sees the public network), or no arbitration. */
  readonly arbitration: boolean
  readonly arbitrationTimeoutMs: number
}

/** How long the world's operations take when no fault says otherwise. */
export interface Latencies {
  /** One-way heartbeat delay on a healthy link, and the most jitter added to it. */
  readonly delayMs: number
  readonly jitterMs: number
  readonly addressMs: number
  readonly journalMs: number
  readonly hookMs: Readonly<Record<HookStage, number>>
}

export type HookStage = 'Test' | HookPhase

export interface Setup {
  readonly nodes: readonly NodeSetup[]
  /** Heartbeat links: `public` runs over eth0 (the addresses' interface), `private` over eth1. */
  readonly links: readonly LinkName[]
  readonly timers: Timers
  readonly latency: Latencies
  /** Absent: no health checks (the behaviour before issue 19, still covered). */
  readonly checks?: CheckSetup
}

/**
 * One health check, `web` (tcp), that every node runs and every address requires, on owns and
 * takeover entries alike: a node is fit for the addresses while its service answers.
 */
export interface CheckSetup {
  readonly intervalMs: number
  /** At most the interval (the schema's rule). */
  readonly timeoutMs: number
  readonly fall: number
  readonly rise: number
  readonly initial: 'passing' | 'failing'
  readonly onAllUnfit: 'keep' | 'release'
  /** A run of a healthy service takes up to this long (drawn per run), less than the timeout. */
  readonly runMs: number
}

export type LinkName = 'public' | 'private'

/** Links a network fault applies to; absent means every link. */
interface OnLinks {
  readonly links?: readonly LinkName[]
}

interface Span {
  readonly at: number
  /** When the fault is lifted; absent for one that lasts to the end. */
  readonly until?: number
}

export type Fault =
  /** Nodes in different groups hear nothing from each other (a node in no group is alone). */
  | ({ readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] } & Span & OnLinks)
  /**
   * Two nodes of three or more hear nothing from each other (both directions), while each still
   * hears the others: a partial partition.
   */
  | ({ readonly kind: 'sever'; readonly between: readonly [string, string] } & Span & OnLinks)
  /** One direction only: `to` hears nothing from `from`. */
  | ({ readonly kind: 'cut'; readonly from: string; readonly to: string } & Span & OnLinks)
  | ({ readonly kind: 'loss'; readonly p: number; readonly from?: string; readonly to?: string } & Span &
      OnLinks)
  /** Extra delay and jitter (which reorders packets). */
  | ({
      readonly kind: 'delay'
      readonly extraMs: number
      readonly jitterMs: number
      readonly from?: string
      readonly to?: string
    } & Span &
      OnLinks)
  /** The agent is frozen (SIGSTOP, a VM pause): no timer, packet or answer reaches it. */
  | ({ readonly kind: 'pause'; readonly node: string } & Span)
  /** Killed (addresses left on the interfaces) or the machine reset (`wipe`); `until`: restarted. */
  | ({ readonly kind: 'crash'; readonly node: string; readonly wipe: boolean } & Span)
  /**
   * A crash that lands inside a checklist: from `at`, the node's next `acquiring` or `releasing`
   * is followed `afterMs` later by a crash; it restarts `restartAfterMs` after that (absent: never).
   * The journal recovery's own test: a random crash rarely falls between an add and its PostAcq.
   */
  | {
      readonly kind: 'crash-in-checklist'
      readonly at: number
      readonly node: string
      readonly wipe: boolean
      readonly afterMs: number
      readonly restartAfterMs?: number
    }
  /** A clean stop (SIGTERM, onStop as configured); `until`: started again. */
  | ({ readonly kind: 'stop'; readonly node: string } & Span)
  /** eth0 loses its carrier: the public link and the addresses' interface are out. */
  | ({ readonly kind: 'carrier'; readonly node: string } & Span)
  | ({
      readonly kind: 'hooks'
      readonly node: string
      /** Extra time every hook takes. */
      readonly slowMs?: number
      /** Strict phases that fail. */
      readonly fail?: readonly HookPhase[]
      /** Test says "notification only" for these actions. */
      readonly refuse?: 'acquire' | 'release' | 'both'
    } & Span)
  /** The arbiter answers regardless of the network (only with arbitration on). */
  | ({ readonly kind: 'arbiter'; readonly node: string; readonly answer: 'free' | 'refuse' } & Span)
  /** Adding an address fails (a missing interface, a refused `ip addr add`). */
  | ({ readonly kind: 'add-fails'; readonly node: string } & Span)
  /** The checked service on `node` dies at `at` and comes back at `until` (absent: stays dead). */
  | ({ readonly kind: 'service'; readonly node: string } & Span)
  /** The service flaps from `at` to `until`: down for `periodMs`, up for `periodMs`, and so on. */
  | ({ readonly kind: 'flap'; readonly node: string; readonly periodMs: number } & Span)
  /**
   * Every check run that starts on `node` meanwhile takes `runMs`: past the timeout it fails (timed
   * out), past the interval the next run has to wait for it.
   */
  | ({ readonly kind: 'slow-check'; readonly node: string; readonly runMs: number } & Span)
  /** `ipfo maintenance on` at `at`, off at `until`. */
  | ({ readonly kind: 'maintenance'; readonly node: string } & Span)
  /** `ipfo takeover <owner>` or `ipfo release <owner>` on `node`. */
  | {
      readonly kind: 'operator'
      readonly at: number
      readonly node: string
      readonly command: 'takeover' | 'release'
      readonly owner: string
    }
  /**
   * Never generated: the checker's self-tests. Changes the world behind the engine's back, so that
   * an invariant must fire (an address added or removed, a hook run outside a checklist, an error).
   */
  | {
      readonly kind: 'tamper'
      readonly at: number
      readonly node: string
      readonly action: 'add' | 'remove' | 'hook' | 'error'
      readonly address?: string
    }
