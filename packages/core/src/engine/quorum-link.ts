import type { Claims, Coordinator, CoordinatorReport } from '../model/coordination.js'
import type { Clock, TimerHandle } from '../model/ports.js'
import type { Input } from '../state-machine/inputs.js'
import type { Emit } from './event-stream.js'

export interface QuorumLinkDeps {
  readonly coordinator: Coordinator
  /** This node: the value its claims write, so that others can say who holds a key. */
  readonly self: string
  /** The same monotonic clock the coordinator measures its lease's validity on. */
  readonly clock: Clock
  readonly emit: Emit
  /** Tells the machine (`quorum`, `claim-freed`). */
  readonly apply: (input: Input) => void
  /**
   * After a lease was granted or renewed: the kernel lifetimes capped by it are renewed at once, and
   * held addresses whose key is not held under it are claimed again (kept through a lost lease).
   */
  readonly onRenewed?: () => void
  /** How long to wait before asking for a lease again when no member granted one. */
  readonly retryStartMs?: number
}

/** A lease asked for again this long after no member granted one, by default. */
const RETRY_START_MS = 2_000

/**
 * The engine's side of quorum (config `coordination`): it keeps the machine told whether this
 * node's lease is known valid, and gives checklists their claims.
 *
 * Validity is the coordinator's `validUntil` (renewal sent + TTL − margin, monotonic): a timer at
 * that moment says `quorum: false` unless a renewal moved it on, so the addresses go before the
 * lease can expire on the server, even when no report comes at all (etcd unreachable, a renewal that
 * never answers). A lease the store says is gone is lost at once. `check()` is for a resumed agent:
 * timers run late after a pause, and the machine must hear of the lapse before anything else.
 *
 * A lost claim watches the key from the revision it read; when the key goes (released, or expired
 * with its holder's lease) the machine hears `claim-freed` and tries again at once, instead of
 * after retryAfter. One resource's key is `holders/<owner>`.
 */
export function quorumLink(deps: QuorumLinkDeps) {
  const { coordinator, clock, emit, apply } = deps
  let valid = false
  let validUntil = Number.NEGATIVE_INFINITY
  let timer: TimerHandle | undefined
  let retry: TimerHandle | undefined
  let stopped = false
  let unreachableSaid = false
  /** Fencing tokens of the keys this node won under its current lease, by owner. */
  const tokens = new Map<string, string>()
  /** Owners whose key this node let go of but could not delete (the store did not answer). */
  const undeleted = new Set<string>()
  /** Watches of keys another node held when a claim was lost, by owner. */
  const watches = new Map<string, () => void>()
  /**
   * The last claim or key delete of each owner under way. They run one after the other: a claim
   * takes a key still bound to this node's lease as won, and a retried delete of that key begun
   * before the claim answered would then delete the key the node now holds by.
   */
  const inTurn = new Map<string, Promise<void>>()

  function serial<T>(owner: string, fn: () => Promise<T>): Promise<T> {
    const run = (inTurn.get(owner) ?? Promise.resolve()).then(fn)
    const tail = run.then(
      () => undefined,
      () => undefined,
    )
    inTurn.set(owner, tail)
    void tail.then(() => {
      if (inTurn.get(owner) === tail) inTurn.delete(owner)
    })
    return run
  }

  /** Deletes the key of `owner`'s addresses; remembers a failure, to try again after each renewal. */
  async function deleteKey(owner: string): Promise<void> {
    try {
      await coordinator.release(owner)
      undeleted.delete(owner)
    } catch (error) {
      // Tried again after each renewal: a lease that lives on would keep the key from the next holder.
      const first = !undeleted.has(owner)
      undeleted.add(owner)
      if (first)
        emit({
          kind: 'error',
          message: error instanceof Error ? error.message : String(error),
          context: `deleting the key of ${owner}'s addresses (tried again after each renewal of the lease; it goes with the lease if that ends)`,
        })
    }
  }

  function setValid(next: boolean, reason: string): void {
    if (valid === next) return
    valid = next
    apply({ kind: 'quorum', valid: next, reason })
  }

  function arm(): void {
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    const left = validUntil - clock.now()
    if (left <= 0) {
      lapse()
      return
    }
    setValid(true, 'the lease is valid')
    // At validUntil: lapsed unless a renewal moved it on meanwhile (arm again then).
    timer = clock.setTimeout(() => {
      timer = undefined
      arm()
    }, left)
  }

  function lapse(): void {
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    setValid(
      false,
      'no renewal of the lease was answered before its validity ran out (etcd unreachable or without a majority)',
    )
  }

  /** Says the lease is lost if its validity has run out; true while it is valid. */
  function check(): boolean {
    if (valid && clock.now() >= validUntil) lapse()
    return valid
  }

  function onReport(report: CoordinatorReport): void {
    if (stopped) return
    switch (report.kind) {
      case 'lease-granted':
        // Keys won under an earlier lease went with it.
        tokens.clear()
        undeleted.clear()
        emit({
          kind: 'quorum-lease',
          leaseId: report.leaseId,
          ttlMs: report.ttlMs,
          endpoint: report.endpoint,
        })
        reachable(report.endpoint)
        validUntil = report.validUntil
        arm()
        deps.onRenewed?.()
        break
      case 'lease-renewed':
        reachable(report.endpoint)
        validUntil = Math.max(validUntil, report.validUntil)
        arm()
        deps.onRenewed?.()
        // Unless a claim since took the key (still bound to this lease) as won: the node holds by it.
        for (const owner of [...undeleted])
          void serial(owner, async () => {
            if (!tokens.has(owner)) await deleteKey(owner)
          })
        break
      case 'lease-lost':
        tokens.clear()
        undeleted.clear()
        validUntil = Number.NEGATIVE_INFINITY
        if (timer !== undefined) clock.clearTimeout(timer)
        timer = undefined
        setValid(false, `the store says lease ${report.leaseId} is gone (${report.reason})`)
        break
      case 'stale-key-deleted':
        emit({ kind: 'quorum-stale-key', owner: report.group, revision: report.revision })
        break
      case 'watch-failed':
        // Refused (permissions): the watch is tried again; a lost claim is then retried after retryAfter.
        emit({
          kind: 'error',
          message: report.message,
          context: `watching the key of ${report.group}'s addresses`,
        })
        break
      case 'unreachable':
        // Said once until a member answers again: renewals fail meanwhile, every 250 ms while the
        // lease is valid, then every third of the TTL.
        if (!unreachableSaid)
          emit({ kind: 'quorum-unreachable', message: report.message, endpoint: report.endpoint })
        unreachableSaid = true
        break
    }
  }

  function reachable(endpoint: string): void {
    if (!unreachableSaid) return
    unreachableSaid = false
    emit({ kind: 'quorum-reachable', endpoint })
  }

  function stopWatch(owner: string): void {
    watches.get(owner)?.()
    watches.delete(owner)
  }

  function watchFree(owner: string, afterRevision: string): void {
    if (watches.has(owner)) return
    const stop = coordinator.watch(
      owner,
      (change) => {
        if (change.kind !== 'delete' || stopped) return
        stopWatch(owner)
        apply({ kind: 'claim-freed', owner })
      },
      { afterRevision },
    )
    watches.set(owner, stop)
  }

  async function begin(): Promise<void> {
    try {
      await coordinator.start(onReport)
    } catch (error) {
      if (stopped) return
      if (!unreachableSaid)
        emit({ kind: 'quorum-unreachable', message: error instanceof Error ? error.message : String(error) })
      unreachableSaid = true
      retry = clock.setTimeout(() => void begin(), deps.retryStartMs ?? RETRY_START_MS)
    }
  }

  const claims: Claims = {
    claim: (owner) => serial(owner, () => claim(owner)),
    holds: (owner) => check() && tokens.has(owner),
    token: (owner) => tokens.get(owner),
    release(owner) {
      // At once: the node no longer holds by the key, whatever the delete's fate; and again in turn,
      // should a claim begun before have won it meanwhile.
      tokens.delete(owner)
      return serial(owner, async () => {
        tokens.delete(owner)
        await deleteKey(owner)
      })
    },
  }

  async function claim(owner: string): ReturnType<Claims['claim']> {
    if (!check()) return { won: false, holder: undefined, reason: 'the quorum lease is not known valid' }
    try {
      const result = await coordinator.claim(owner, deps.self)
      if (result.won) {
        stopWatch(owner)
        undeleted.delete(owner)
        tokens.set(owner, result.revision)
        return { won: true, token: result.revision }
      }
      watchFree(owner, result.revision)
      return {
        won: false,
        holder: result.holder,
        reason: `its key was taken at revision ${result.revision}`,
      }
    } catch (error) {
      return {
        won: false,
        holder: undefined,
        reason: error instanceof Error ? error.message : String(error),
      }
    }
  }

  return {
    claims,
    check,
    /** How long from now the lease is known valid, in ms (0 when it is not). Tells the machine nothing. */
    validForMs: () => (valid ? Math.max(0, validUntil - clock.now()) : 0),
    /** Loads the store's client before heartbeats start: loading it later would stall them. */
    prepare: () => coordinator.prepare(),
    /** Asks for the lease; returns at once (a refusal is reported and asked again). */
    start(): void {
      void begin()
    },
    /** Stops renewing; `revoke` ends the lease at once, so that the next holder takes over now. */
    async stop(revoke: boolean): Promise<void> {
      stopped = true
      if (timer !== undefined) clock.clearTimeout(timer)
      if (retry !== undefined) clock.clearTimeout(retry)
      for (const owner of [...watches.keys()]) stopWatch(owner)
      await coordinator.stop({ revoke }).catch(() => undefined)
    },
    status: () => {
      const c = coordinator.status()
      return {
        valid,
        leaseId: c.leaseId ?? null,
        validForMs: valid ? Math.max(0, validUntil - clock.now()) : 0,
        endpoints: [...c.endpoints],
        lastAnswered: c.lastAnswered ?? null,
        held: c.held.map((h) => ({ group: h.group, revision: h.revision })),
      }
    },
  }
}
