import type { HookAction, HookPhase } from './hook-contract.js'

/**
 * Why an acquire started, in one word from a closed list: what metrics and alerts group by (a
 * bounded label). The event's `reason` says it in full, with names and numbers.
 */
export const ACQUIRE_CAUSES = ['own-free', 'claim-timeout', 'peer-lost', 'peer-unfit', 'operator'] as const
export type AcquireCause = (typeof ACQUIRE_CAUSES)[number]

/** Why a release started, in one word from a closed list (see ACQUIRE_CAUSES). */
export const RELEASE_CAUSES = [
  'failback',
  'order',
  'owner-holds',
  'carrier-lost',
  'unfit',
  'no-node-fit',
  'stopping',
  'operator',
  'expired',
  'key-lost',
  'quorum-lost',
] as const
export type ReleaseCause = (typeof RELEASE_CAUSES)[number]

/**
 * How a checklist ended. `done`: the addresses changed as asked. `notify-only`: the Test gate said so,
 * nothing changed. `aborted`: a strict phase failed before the address change. `failed`: the address
 * change itself failed and was rolled back. `refused`: arbitration found the address still in use
 * (or the witness unreachable); nothing changed and no hook ran. `yielded`: an acquire was asked to
 * stop short (a live peer holds the addresses) before its add; nothing changed. `claim-lost`: the
 * quorum store says another node holds the addresses' key, or could not be asked; nothing changed
 * and no hook ran (not a refusal of this node: it tries again when the key goes).
 */
export const CHECKLIST_OUTCOMES = [
  'done',
  'notify-only',
  'aborted',
  'failed',
  'refused',
  'yielded',
  'claim-lost',
] as const
export type ChecklistOutcome = (typeof CHECKLIST_OUTCOMES)[number]

/**
 * The steps a checklist times (`checklist-finished`), a closed list: `claim` and `disclaim` (the
 * quorum key), `arbitrate`, `gate` (the Test hook), each hook phase by name, `add` (with the first
 * announcement, and the journal write it waits for), `announce` (until every announcement was
 * sent), `remove`, `notify` (waiting for the last announcement, then the notice), `undo` (an
 * abandoned acquire's release hooks, undoing its PreAcq: timed apart from the step that gave up).
 */
export const CHECKLIST_STEPS = [
  'claim',
  'disclaim',
  'arbitrate',
  'gate',
  'PreAcq',
  'PostAcq',
  'PreRel',
  'PostRel',
  'add',
  'announce',
  'remove',
  'notify',
  'undo',
] as const
export type ChecklistStep = (typeof CHECKLIST_STEPS)[number]

/** Why a received packet was dropped. Each is counted in status. */
export const DROP_REASONS = [
  'malformed',
  'wrong-version',
  'oversized',
  'bad-mac',
  'unknown-node',
  'replay',
  'own-packet',
] as const
export type DropReason = (typeof DROP_REASONS)[number]

interface At {
  /** Wall-clock time, ms since epoch. */
  readonly time: number
}

/**
 * Everything the agent reports, as one union keyed on `kind`. Logs, mail, metrics and `ipfo status`
 * all read this stream; nothing else is a source of truth for "what happened".
 */
export type IpfoEvent = At &
  (
    | {
        kind: 'agent-started'
        node: string
        intervalMs: number
        deadAfterMs: number
        /** Worst-case time from a peer's last heartbeat to its takeover starting. */
        detectionMs: number
        links: string[]
        peers: string[]
      }
    | { kind: 'agent-stopping'; node: string; release: boolean }
    /**
     * The agent stops without giving these addresses back: their release at the stop was refused
     * (Test said notification only) or failed (a strict hook, the remove). They stay on this node.
     */
    | { kind: 'kept-on-stop'; owner: string; addresses: string[] }
    | { kind: 'reconciled'; present: string[]; absent: string[] }
    | { kind: 'heartbeat-lost'; peer: string; link: string; silentForMs: number }
    | { kind: 'heartbeat-restored'; peer: string; link: string }
    | { kind: 'link-anomaly'; peer: string; up: string[]; down: string[] }
    | { kind: 'link-anomaly-cleared'; peer: string }
    | { kind: 'peer-lost'; peer: string; silentForMs: number; links: string[] }
    | { kind: 'peer-restored'; peer: string; incarnation: number; restarted: boolean }
    | { kind: 'acquiring'; owner: string; addresses: string[]; reason: string; cause: AcquireCause }
    | { kind: 'acquired'; owner: string; addresses: string[]; durationMs: number }
    | { kind: 'releasing'; owner: string; addresses: string[]; reason: string; cause: ReleaseCause }
    | { kind: 'released'; owner: string; addresses: string[]; durationMs: number }
    | { kind: 'notification-only'; owner: string; action: HookAction; addresses: string[]; reason: string }
    | { kind: 'checklist-aborted'; owner: string; action: HookAction; step: string; reason: string }
    /**
     * A checklist ended (any outcome): how long it took and each step that ran, in the order run,
     * in fractional ms. `detectionMs` is the silence that decided a takeover (null otherwise).
     * Emitted once its announcements were all sent, so it may follow the next checklist's start.
     */
    | {
        kind: 'checklist-finished'
        owner: string
        action: HookAction
        /** Why an acquire started (as its `acquiring` event said); null for a release, or an acquire finished after a restart. */
        cause: AcquireCause | null
        outcome: ChecklistOutcome
        durationMs: number
        detectionMs: number | null
        steps: { step: ChecklistStep; ms: number }[]
      }
    | { kind: 'announced'; address: string; count: number }
    | {
        kind: 'hook-finished'
        phase: HookPhase | 'Test' | 'Notify'
        script: string
        exitCode: number | null
        signal: string | null
        durationMs: number
        timedOut: boolean
        stdout: string
        stderr: string
      }
    | {
        /** An unsafe hook (writable by others, not root's, a symlink out of the tree, not executable) was not run. */
        kind: 'hook-refused'
        phase: HookPhase | 'Test' | 'Notify'
        path: string
        reason: string
        /** The command that makes it safe, e.g. `chmod go-w /etc/ipfo/hooks/10.0.0.50/PostAcq-10-web`. */
        fix: string
      }
    | { kind: 'claim-waiting'; addresses: string[]; holder: string }
    | { kind: 'claim-forced'; addresses: string[]; holder: string; waitedMs: number }
    /**
     * The owner (or, with `to`, a taker ahead of this node in the order) is back; its addresses go to
     * it by the failback policy: on "ipfo release" (manual) or once it has stayed up (stable).
     */
    | {
        kind: 'failback-pending'
        owner: string
        policy: 'manual' | 'stable'
        releaseInMs: number | null
        to?: string
      }
    /**
     * Every link to `peer` is silent here but `via` hears it: it is alive, nothing of it is taken over
     * (a partial partition, issue 20).
     */
    | { kind: 'peer-indirect'; peer: string; via: string }
    | { kind: 'peer-indirect-cleared'; peer: string }
    /**
     * `peer` sees the order of `owner`'s addresses differently (takers, their order, or the addresses):
     * this node takes none of them while it lasts. Fix the configs to agree, then reload.
     */
    | { kind: 'order-mismatch'; peer: string; owner: string; ours: string[]; detail: string }
    | { kind: 'order-agreed'; peer: string; owner: string }
    | { kind: 'maintenance'; on: boolean }
    | { kind: 'packet-dropped'; reason: DropReason; from: string; detail: string }
    /**
     * The heartbeat timer ran `stalledMs` late. `ranMs`: the CPU time the agent's process used (all its
     * threads: the loop, V8's compiler and collector, libuv's pool) over the `spanMs` since the beat
     * before, where the clock can tell: near `spanMs`, the agent itself was busy; far below it, it was
     * not run (the machine: a busy host, a frozen VM, a blocked system call).
     */
    | { kind: 'loop-stalled'; stalledMs: number; ranMs?: number; spanMs?: number }
    /**
     * An interface of this node's addresses lost its carrier (cable pulled, switch port down): what
     * it held there is released and nothing is claimed on it until the carrier is back.
     */
    | { kind: 'carrier-lost'; interface: string; addresses: string[] }
    /** The carrier is back: addresses on it are claimed again once the peers have been heard. */
    | { kind: 'carrier-restored'; interface: string; addresses: string[] }
    /** The agent's timers ran this late: it was stopped (SIGSTOP) or its VM frozen. */
    | { kind: 'paused'; pausedMs: number }
    /**
     * The lifetime of these held addresses ran out (or was about to) while the agent did not renew
     * it (frozen, or its renewals failed): the kernel removes them by itself. They are released
     * (hooks run; the remove makes sure) and may be claimed again by the usual rules.
     */
    | { kind: 'addresses-expired'; owner: string; addresses: string[] }
    /** A live peer advertises addresses this node holds: both hold them. */
    | { kind: 'address-conflict'; owner: string; addresses: string[]; holder: string }
    /** The other holder let go; this node keeps the addresses and announces them again. */
    | { kind: 'address-conflict-resolved'; owner: string; addresses: string[]; holder: string }
    /**
     * While this node acquired the addresses, a live peer was heard holding them: the acquire stops
     * short (no add if not yet made; no wait on announcements), and the usual rules keep one holder.
     */
    | { kind: 'acquire-yielding'; owner: string; addresses: string[]; holder: string }
    /**
     * The acquire ended without the addresses: a live peer holds them (it stopped before its add), or
     * adding them failed (any it had added were removed again); `reason` says which. `hooksUndone`:
     * its PreAcq hooks had run, and the release hooks (PreRel, PostRel) ran to undo what they set up.
     */
    | { kind: 'acquire-abandoned'; owner: string; addresses: string[]; reason: string; hooksUndone: boolean }
    /** Arbitration refused an automatic takeover: the address still answers, or the witness does not. */
    | { kind: 'takeover-refused'; owner: string; addresses: string[]; reason: string }
    /**
     * Quorum: the store says another node holds the key of these addresses (`holder`), or could not
     * be asked (`holder` undefined, `reason` says why). Nothing changed and no hook ran; the acquire is
     * tried again when the key goes or the quorum returns.
     */
    | { kind: 'claim-lost'; owner: string; addresses: string[]; holder: string | undefined; reason: string }
    /**
     * Quorum: this node's lease is no longer known valid (`reason`): what it holds is released at once
     * (`onLoss: release`, listed in `addresses`) or kept (`keep`: it may now be held twice), and
     * nothing is acquired until the lease is valid again.
     */
    | { kind: 'quorum-lost'; reason: string; onLoss: 'release' | 'keep'; addresses: string[] }
    /** Quorum: the lease is known valid (at start, and again after `quorum-lost`); acquires may claim their keys. */
    | { kind: 'quorum-regained' }
    /** Quorum: the store granted this node a lease (at start, and after one was lost). */
    | { kind: 'quorum-lease'; leaseId: string; ttlMs: number; endpoint: string }
    /**
     * Quorum: no member answered a renewal (or a grant) with a majority behind it; said once until one
     * does (`quorum-reachable`). The lease stays valid until its last known validity.
     */
    | { kind: 'quorum-unreachable'; message: string; endpoint?: string | undefined }
    /** Quorum: a member answered again, after `quorum-unreachable`. */
    | { kind: 'quorum-reachable'; endpoint: string }
    /**
     * A key bound to this node's lease that it does not hold (a claim a slow or cut-off member carried
     * out late) was deleted: it kept the addresses from every other node while the lease lived.
     */
    | { kind: 'quorum-stale-key'; owner: string; revision: string }
    /**
     * A checklist an earlier run of the agent did not finish (it was killed): `finished` runs the
     * steps that were left, `rolled-back` undoes the part that was done.
     */
    | {
        kind: 'checklist-recovered'
        action: HookAction
        owner: string
        addresses: string[]
        decision: 'finished' | 'rolled-back'
        reason: string
        /**
         * A rolled-back acquire whose PreAcq had begun: the release hooks (PreRel, PostRel) ran to
         * undo what it set up, before the agent took part in anything.
         */
        hooksUndone: boolean
      }
    /** A hook process group an earlier run left behind (the agent was killed while it ran), stopped now. */
    | { kind: 'hook-reaped'; pgid: number; script: string }
    /**
     * Quorum, at start: addresses the last run held were found and removed (only a key won under
     * this run's lease may hold them); their release hooks (PreRel, PostRel) run before anything is
     * claimed, to undo what PostAcq set up.
     */
    | { kind: 'released-at-start'; owner: string; addresses: string[]; reason: string }
    | { kind: 'notify'; subject: string; owner: string; action: HookAction; addresses: string[] }
    /**
     * Optional tools the config needs are not installed: said once at start, with what is lost
     * (for example no gratuitous ARP); the agent then does without, and says nothing per takeover.
     */
    | { kind: 'tools-missing'; tools: string[]; packages: string[]; lost: string }
    /** The guard process (it acts if the agent dies) was started; `restarts` counts the earlier ones that died. */
    | { kind: 'guard-started'; pid: number; restarts: number }
    /** The guard died while the agent ran: it is started again; until then a crash of the agent goes unguarded. */
    | { kind: 'guard-died'; pid: number | null; exitCode: number | null; signal: string | null }
    /**
     * The agent died without a word and its guard acted: it removed `removed` and sent the last word on
     * `lastWord` (peers take over at once), or kept `kept` (no peer could take them). Logged by the
     * guard itself, and again by the next agent at its start (`recorded`: the time is the guard's).
     */
    | {
        kind: 'guard-acted'
        node: string
        removed: string[]
        kept: string[]
        lastWord: string[]
        failures: string[]
        /** Ms from the guard seeing the pipe close to the first copy of its last word sent on a whole link (or its removals done). */
        tookMs: number
        recorded: boolean
      }
    /** A health check's verdict changed to failing (`fall` failed runs in a row); `detail`: the last run's. */
    | { kind: 'check-failed'; check: string; detail: string; failures: number }
    /** A failing health check passes again (`rise` good runs in a row). */
    | { kind: 'check-recovered'; check: string; detail: string; failedForMs: number }
    /** This node can no longer serve these addresses: checks they require fail. A fit peer takes them. */
    | { kind: 'unfit'; owner: string; addresses: string[]; checks: string[] }
    /** Every check these addresses require passes here again. */
    | { kind: 'fit'; owner: string; addresses: string[] }
    /**
     * No live node is fit for these addresses. `kept`: this node keeps them,
     * `released`: it lets them go (onAllUnfit: release), `unheld`: nobody holds them and this node,
     * unfit, takes nothing.
     */
    | {
        kind: 'no-node-fit'
        owner: string
        addresses: string[]
        action: 'kept' | 'released' | 'unheld'
        reason: string
      }
    | { kind: 'error'; message: string; context: string }
  )

export type IpfoEventKind = IpfoEvent['kind']
export type EventOf<K extends IpfoEventKind> = Extract<IpfoEvent, { kind: K }>

/**
 * Every kind of event, in the order the union lists them: what a counter per kind starts at 0 for
 * (a series that first appears at 1 is no increase to Prometheus, and an alert on it would miss it).
 * The compiler checks that it lists every kind and nothing else.
 */
export const EVENT_KINDS = [
  'agent-started',
  'agent-stopping',
  'kept-on-stop',
  'reconciled',
  'heartbeat-lost',
  'heartbeat-restored',
  'link-anomaly',
  'link-anomaly-cleared',
  'peer-lost',
  'peer-restored',
  'acquiring',
  'acquired',
  'releasing',
  'released',
  'notification-only',
  'checklist-aborted',
  'checklist-finished',
  'announced',
  'hook-finished',
  'hook-refused',
  'claim-waiting',
  'claim-forced',
  'failback-pending',
  'peer-indirect',
  'peer-indirect-cleared',
  'order-mismatch',
  'order-agreed',
  'maintenance',
  'packet-dropped',
  'loop-stalled',
  'carrier-lost',
  'carrier-restored',
  'paused',
  'addresses-expired',
  'address-conflict',
  'address-conflict-resolved',
  'acquire-yielding',
  'acquire-abandoned',
  'takeover-refused',
  'claim-lost',
  'quorum-lost',
  'quorum-regained',
  'quorum-lease',
  'quorum-unreachable',
  'quorum-reachable',
  'quorum-stale-key',
  'checklist-recovered',
  'hook-reaped',
  'released-at-start',
  'notify',
  'tools-missing',
  'guard-started',
  'guard-died',
  'guard-acted',
  'check-failed',
  'check-recovered',
  'unfit',
  'fit',
  'no-node-fit',
  'error',
] as const satisfies readonly IpfoEventKind[]

/** Fails to compile, naming the kinds, when EVENT_KINDS misses one. */
type MissingKinds = Exclude<IpfoEventKind, (typeof EVENT_KINDS)[number]>
const everyKindListed: [MissingKinds] extends [never] ? true : MissingKinds = true
void everyKindListed

/** An event without its timestamp: the machine is pure, the engine stamps the wall clock. */
export type EventBody = IpfoEvent extends infer E ? (E extends IpfoEvent ? Omit<E, 'time'> : never) : never
