import type { Config } from '../config/schema.js'
import type { Claims } from '../model/coordination.js'
import type { HookContext } from '../model/hook-contract.js'
import { cidr, type InterfaceAddress } from '../model/ip.js'
import type { AddressControl, Arbiter, Clock, HooksPort, Journal, JournalEntry } from '../model/ports.js'
import type { Checklist, Effect } from '../state-machine/effects.js'
import type { ChecklistOutcome } from '../state-machine/inputs.js'
import type { RemainingStep } from '../state-machine/recovery.js'
import type { EngineState } from '../state-machine/state.js'
import type { AcquireFence } from './acquire-fence.js'
import { type Emit, reportError } from './event-stream.js'
import { announceAll, type ExecutorDeps, releaseHooks, runChecklist, undoPreAcq } from './executor.js'
import { ownersOf } from './machine-setup.js'

export interface ChecklistRunnerDeps {
  readonly config: Config
  readonly clock: Clock
  readonly address: AddressControl
  readonly hooks: HooksPort
  readonly arbiter?: Arbiter | undefined
  /** Quorum: claims of the store's keys (config `coordination`). */
  readonly claims?: Claims | undefined
  /** Quorum (onQuorumLoss release): what running acquires added, fenced (acquire-fence.ts). */
  readonly fence?: AcquireFence | undefined
  readonly journal?: Journal | undefined
  /** Makes journal keys unique across runs of the agent. */
  readonly runId: number
  readonly emit: Emit
  readonly state: () => EngineState
  /** A checklist the machine asked for ended: tell the machine. */
  readonly finished: (checklist: Checklist, outcome: ChecklistOutcome) => void
}

/**
 * Runs the checklists the machine asks for, off the heartbeat path (hooks and address commands run
 * while heartbeats and detection go on), and everything around them: the executor's inputs (built
 * here only), acquires written to the journal ahead of time, the machine's request that an acquire
 * stop short, announcements, and the steps a crashed run left.
 */
export function checklistRunner(deps: ChecklistRunnerDeps) {
  const { config, clock } = deps
  /**
   * Acquires written down ahead of time, one per owner whose addresses this node does not hold (see
   * JournalEntry `armed`): a takeover then starts its add without waiting for the disk.
   */
  const armed = new Map<string, Promise<unknown>>()
  const armedKey = (owner: string) => `armed-${owner}`
  /** The running checklist of each owner, to stop short when the machine says so. */
  const yielding = new Map<string, AbortController>()

  /** The hooks' context for what start-up runs outside a checklist (a crashed run's leftovers). */
  function contextAtStart(
    action: HookContext['action'],
    owner: string,
    peer: string | undefined,
    addresses: readonly InterfaceAddress[],
    reason: string,
  ): HookContext {
    return {
      action,
      owner,
      node: config.node,
      peer,
      addresses: addresses.map((a) => ({ interface: a.interface, ip: a.ip, prefix: a.prefix })),
      reason,
      eventTime: clock.wallNow(),
      detectionMs: undefined,
    }
  }

  function executorDeps(extra: Partial<ExecutorDeps> = {}): ExecutorDeps {
    return {
      self: config.node,
      address: deps.address,
      hooks: deps.hooks,
      emit: deps.emit,
      now: () => clock.now(),
      preciseNow: () => clock.preciseNow?.() ?? clock.now(),
      wallNow: () => clock.wallNow(),
      delay: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
      ...extra,
    }
  }

  function arm(owner: string): void {
    const { journal } = deps
    const state = deps.state()
    if (!journal || armed.has(owner) || state.phase === 'stopping' || state.phase === 'stopped') return
    const resource = state.resources[owner]
    if (!resource || resource.status === 'held') return
    const entry: JournalEntry = {
      key: armedKey(owner),
      action: 'acquire',
      owner,
      peer: owner === config.node ? undefined : owner,
      addresses: ownersOf(config).find((o) => o.owner === owner)?.addresses ?? [],
      reason: `acquiring ${owner === config.node ? 'its own' : `${owner}'s`} addresses`,
      reached: 'armed',
    }
    const report = reportError(deps.emit, 'writing the checklist journal')
    armed.set(
      owner,
      journal.write(entry).catch((error: unknown) => {
        armed.delete(owner)
        report(error)
      }),
    )
  }

  return {
    arm,
    run(checklist: Checklist): void {
      const written = checklist.action === 'acquire' ? armed.get(checklist.owner) : undefined
      armed.delete(checklist.owner)
      const yielded = new AbortController()
      yielding.set(checklist.owner, yielded)
      void runChecklist(
        checklist,
        executorDeps({
          arbiter: deps.arbiter,
          claims: deps.claims,
          fence: deps.fence,
          journal: deps.journal,
          runId: deps.runId,
          armed: written ? { key: armedKey(checklist.owner), written } : undefined,
          yielded: yielded.signal,
        }),
      ).then((outcome) => {
        if (yielding.get(checklist.owner) === yielded) yielding.delete(checklist.owner)
        deps.finished(checklist, outcome)
        // Only once the machine knows: until then a lapse of the lease still removes what it added.
        deps.fence?.ended(checklist.owner)
        // Not held after all (a release, a refusal, a failure): ready for the next acquire.
        arm(checklist.owner)
      })
    },
    yield(owner: string): void {
      yielding.get(owner)?.abort()
    },
    announce(effect: Extract<Effect, { kind: 'announce' }>): void {
      void announceAll(effect.addresses, effect, { address: deps.address, emit: deps.emit })
    },
    /** Runs the steps a checklist of an earlier run had left when it was killed (see recovery). */
    finishAfterRestart(entry: JournalEntry, steps: readonly RemainingStep[]): void {
      const { count, interval } = config.announce
      void runChecklist(
        {
          id: 0,
          action: entry.action,
          owner: entry.owner,
          // Not journaled: an acquire finished after a restart is no takeover the metrics time.
          cause: null,
          peer: entry.peer,
          addresses: entry.addresses,
          reason: `finishing after a restart: ${entry.reason}`,
          detectionMs: undefined,
          steps: steps.map((s) =>
            s === 'announce'
              ? { step: 'announce', count, intervalMs: interval }
              : s === 'notify'
                ? { step: 'notify' }
                : { step: 'phase', phase: s },
          ),
        },
        executorDeps(),
      )
    },
    /** Undoes the PreAcq of an acquire a crash interrupted before its addresses were all added. */
    undoAfterRestart(entry: JournalEntry): Promise<void> {
      const ctx = contextAtStart('acquire', entry.owner, entry.peer, entry.addresses, entry.reason)
      return undoPreAcq(ctx, `the acquire was interrupted by a restart: ${entry.reason}`, deps)
    },
    /**
     * Quorum: the addresses the last run held, found at start and removed (only a key won under this
     * run's lease may hold them): their release hooks run, PreRel then PostRel, as a release's would.
     */
    async releaseAfterRestart(owner: string, addresses: readonly InterfaceAddress[]): Promise<void> {
      const reason =
        'held by the last run of the agent: removed at start, since only a key won under this run’s lease may hold them'
      deps.emit({ kind: 'released-at-start', owner, addresses: addresses.map(cidr), reason })
      const peer = owner === config.node ? undefined : owner
      await releaseHooks(contextAtStart('release', owner, peer, addresses, reason), deps)
    },
    /** At a clean stop: nothing is in the middle of anything, so no entry is left behind. */
    async disarm(): Promise<void> {
      for (const [owner, written] of armed) {
        await written
        await deps.journal?.remove(armedKey(owner)).catch(() => undefined)
      }
      armed.clear()
    },
  }
}
