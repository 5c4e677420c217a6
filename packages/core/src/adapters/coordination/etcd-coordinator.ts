import type { EtcdCoordinationConfig } from '../../config/coordination-schema.js'
import type { Coordinator, CoordinatorReport, HolderChange } from '../../model/coordination.js'
import { CoordinationError } from '../../model/errors.js'
import type { Clock } from '../../model/ports.js'
import { systemClock } from '../system-clock.js'
import { EndpointOrder, EtcdCallError, firstAnswer } from './endpoint-race.js'
import { connectEtcd, type EtcdClients, loadEtcd } from './etcd-clients.js'
import { etcdLeaseApi } from './etcd-lease-api.js'
import { type GhostSweeper, ghostSweeper } from './ghost-keys.js'
import { type ClaimAnswer, claimTxn, holderKey, readHolder, releaseTxn } from './holder-txn.js'
import { watchHolder } from './holder-watch.js'
import { type LeaseKeeper, leaseKeeper } from './lease-keeper.js'

export interface EtcdCoordinatorOptions {
  readonly config: Pick<
    EtcdCoordinationConfig,
    'endpoints' | 'tls' | 'user' | 'passwordFile' | 'prefix' | 'leaseTtl' | 'margin'
  >
  /** Monotonic time for the lease's validity (default: the system clock, performance.now()). */
  readonly clock?: Clock
  /** How long a claim or release may take, every member included (default: a third of the TTL). */
  readonly callTimeoutMs?: number
  /**
   * Given what `onReport` or a watch's `onChange` threw (a bug of the caller's): the coordinator
   * goes on, since a lease that stopped being renewed would cost this node its addresses. Default:
   * a process warning (on stderr, in the journal).
   */
  readonly onHandlerError?: (error: unknown, where: string) => void
}

/** A revoke at stop is worth a little wait: it hands over at once instead of after the TTL. */
const REVOKE_TIMEOUT_MS = 1_000

/**
 * The Coordinator on an etcd cluster (v3 API): one lease per node, kept by its own loop
 * (lease-keeper.ts), holder keys taken and given back in transactions bound to it (holder-txn.ts).
 * Does nothing until `start`.
 */
export function etcdCoordinator(options: EtcdCoordinatorOptions): Coordinator {
  const { config } = options
  const clock = options.clock ?? systemClock
  const callTimeoutMs = options.callTimeoutMs ?? Math.floor(config.leaseTtl / 3)
  const handlerFailed = options.onHandlerError ?? warnHandlerFailed
  const order = new EndpointOrder(config.endpoints)
  /** Groups won under the current lease, with their fencing tokens. */
  const held = new Map<string, string>()
  let clients: EtcdClients | undefined
  let keeper: LeaseKeeper | undefined
  let heldUnder: string | undefined
  let sweeper: GhostSweeper | undefined
  const watches = new Set<() => void>()

  /** A start under way, and a stop asked for during it (start ends it once the lease is granted). */
  let starting: Promise<void> | undefined
  let stopRequested: { revoke?: boolean } | undefined
  const running = (what: string) => {
    if (!clients || !keeper) throw new CoordinationError(`cannot ${what}: the coordinator is not started`)
    return { clients, keeper }
  }

  /**
   * The lease to bind a claim to, or a refusal: without a lease a claim would be for nobody, and a
   * win under a lease not known valid now is one the node could not act on.
   */
  const validLease = (what: string, k: LeaseKeeper) => {
    const lease = k.current()
    if (!lease)
      throw new CoordinationError(
        `cannot ${what}: this node has no etcd lease now (it was lost; a new one is asked for)`,
      )
    const late = clock.now() - lease.validUntil
    if (late >= 0)
      throw new CoordinationError(
        `cannot ${what}: lease ${lease.id} is not known valid now (no renewal answered for ${late} ms past its validity)`,
        { hint: 'wait for the next renewal (a lease-renewed report); etcd may be unreachable' },
      )
    if (heldUnder !== lease.id) {
      held.clear()
      heldUnder = lease.id
    }
    return lease
  }

  /** A call that found the lease gone tells the keeper, which reports it and asks for a new one. */
  const leaseGoneIn = (error: unknown, leaseId: string) => {
    if (error instanceof EtcdCallError && error.answer?.kind === 'lease-gone')
      keeper?.gone(leaseId, 'a claim found the lease gone on the server')
  }

  /** Reports from the coordinator itself (not the keeper's), guarded as the keeper guards its own. */
  let tell: (r: CoordinatorReport) => void = () => undefined

  const begin = async (onReport: (r: CoordinatorReport) => void) => {
    const connected = await connectEtcd(config, callTimeoutMs)
    const ghosts = ghostSweeper({
      clients: connected,
      order,
      clock,
      keyPrefix: holderKey(config.prefix, ''),
      timeoutMs: callTimeoutMs,
      holds: (group, leaseId) => heldUnder === leaseId && held.has(group),
      deleted: (group, revision) => tell({ kind: 'stale-key-deleted', group, revision }),
    })
    const report = (r: CoordinatorReport) => {
      if (r.kind === 'lease-lost') held.clear()
      onReport(r)
      // After the report: a claim its handler makes is under way before the sweep looks.
      if (r.kind === 'lease-renewed') void ghosts.sweep(r.leaseId).catch(() => undefined)
    }
    tell = (r) => {
      try {
        onReport(r)
      } catch (error) {
        handlerFailed(error, `onReport (${r.kind})`)
      }
    }
    const kept = leaseKeeper({
      api: etcdLeaseApi(connected, order, clock),
      clock,
      ttlMs: config.leaseTtl,
      marginMs: config.margin,
      onReport: report,
      onReportFailed: (error, r) => handlerFailed(error, `onReport (${r.kind})`),
    })
    // Set before the grant: the handler of lease-granted may claim at once.
    clients = connected
    keeper = kept
    sweeper = ghosts
    // Not waited for: a member down now must not hold the start; its calls will say so.
    void connected.logInEverywhere(callTimeoutMs)
    try {
      await kept.start()
    } catch (error) {
      clients = undefined
      keeper = undefined
      sweeper = undefined
      connected.close()
      throw error
    }
    if (stopRequested) {
      // stop() came while the lease was being granted: it must not stay behind, renewing.
      const revoke = stopRequested.revoke ?? false
      stopRequested = undefined
      clients = undefined
      keeper = undefined
      sweeper = undefined
      for (const unwatch of [...watches]) unwatch()
      await kept.stop({ revoke, timeoutMs: REVOKE_TIMEOUT_MS })
      held.clear()
      connected.close()
      throw new CoordinationError('the coordinator was stopped while it started')
    }
  }

  return {
    async prepare() {
      await loadEtcd()
    },

    async start(onReport) {
      if (clients || starting) throw new CoordinationError('the coordinator is already started')
      starting = begin(onReport)
      try {
        await starting
      } finally {
        starting = undefined
      }
    },

    async claim(group, value) {
      const what = `claim ${holderKey(config.prefix, group)}`
      const { clients: c, keeper: k } = running(what)
      const lease = validLease(what, k)
      const key = holderKey(config.prefix, group)
      // Not swept while under way, and not begun while its group is being swept.
      const claimed = await (sweeper?.claiming(group) ?? Promise.resolve(() => undefined))
      try {
        // No answer is worth waiting for past the lease's validity: a win then could not be acted on.
        const timeoutMs = Math.max(1, Math.min(callTimeoutMs, lease.validUntil - clock.now()))
        const ask = (ms: number) =>
          firstAnswer<ClaimAnswer>(
            order,
            clock,
            { what, timeoutMs: ms, hedgeAfterMs: Math.floor(ms / 3) },
            (member, deadline) =>
              claimTxn(
                c.member(member),
                key,
                value,
                lease.id,
                deadline,
                heldUnder === lease.id ? held.get(group) : undefined,
              ),
          )
        let { value: result } = await ask(timeoutMs)
        if (!result.won && 'lease' in result && result.holder === value && result.lease !== lease.id) {
          // The key names this node under another lease: an earlier run's, killed and started again
          // within the TTL (one agent runs per node: the control socket says so), which removed the
          // addresses at start. Waiting for that lease to expire would keep them down for the TTL;
          // revoking it frees the key now, and fences that run's lease should anything still use it.
          const left = () => Math.max(1, Math.min(callTimeoutMs, lease.validUntil - clock.now()))
          await etcdLeaseApi(c, order, clock).revoke(result.lease, left())
          ;({ value: result } = await ask(left()))
        }
        if (!result.won) return { won: false, holder: result.holder, revision: result.revision }
        // Won, but the answer came after the lease was replaced or its validity ran out: the key may
        // already be gone with the lease, and another node may win it. Not a win to act on.
        const now = keeper?.current()
        if (now?.id !== lease.id || clock.now() >= now.validUntil) {
          throw new CoordinationError(
            `${what}: won under lease ${lease.id}, but the answer came after that lease ${now?.id === lease.id ? 'stopped being known valid' : 'was replaced'}; claim again`,
          )
        }
        held.set(group, result.revision)
        return result
      } catch (error) {
        leaseGoneIn(error, lease.id)
        throw error
      } finally {
        claimed()
      }
    },

    async release(group) {
      const what = `release ${holderKey(config.prefix, group)}`
      const { clients: c, keeper: k } = running(what)
      const lease = k.current()
      // No lease: whatever was bound to the last one is gone, or goes when it expires.
      if (!lease) {
        held.delete(group)
        return false
      }
      const key = holderKey(config.prefix, group)
      // Not held from now on, whatever etcd answers: a claim after this one (the delete unanswered)
      // writes the key again, at a new revision, rather than taking the old one as its own.
      let revision = heldUnder === lease.id ? held.get(group) : undefined
      held.delete(group)
      const wasHeld = revision !== undefined
      // Always with the revision it was won at (read first when not known): a late copy of this
      // release, carried out by a member that was frozen, deletes nothing claimed since.
      const race = { what, timeoutMs: callTimeoutMs, hedgeAfterMs: Math.floor(callTimeoutMs / 3) }
      if (revision === undefined) {
        const { value: now } = await firstAnswer(order, clock, race, (member, deadline) =>
          readHolder(c.member(member), key, deadline),
        )
        if (now.held?.lease !== lease.id) return false
        revision = now.held.mod_revision
      }
      const known = revision
      const { value: outcome } = await firstAnswer(order, clock, race, (member, deadline) =>
        releaseTxn(c.member(member), key, lease.id, deadline, known),
      )
      // Asked of two members (a slow first one), the try that answers may be the one that found the
      // key already deleted by the other: a key this node held and that is gone now was released.
      return outcome === 'deleted' || (outcome === 'absent' && wasHeld)
    },

    watch(group, onChange, opts = {}) {
      const { clients: c } = running(`watch group ${group}`)
      // A watch on every member, not one over all: a member cut off from the majority drops packets
      // rather than refusing them, and hears no change; a watch served by it alone would wait there
      // (a taker missing the expiry it waits for, until its next retry). Each change is passed on
      // once, from whichever member tells it first: revisions only grow.
      let told = opts.afterRevision === undefined ? -1n : BigInt(opts.afterRevision)
      let refusedSaid = false
      const once = (change: HolderChange) => {
        const revision = BigInt(change.revision)
        if (revision <= told) return
        told = revision
        onChange(change)
      }
      const stops = config.endpoints.map((endpoint) =>
        watchHolder(
          () => c.memberWatch(endpoint),
          holderKey(config.prefix, group),
          once,
          {
            // Said once per watch: a refusal (permissions) is the same on every member.
            refused: (message) => {
              if (refusedSaid) return
              refusedSaid = true
              tell({ kind: 'watch-failed', group, message })
            },
            handlerFailed: (error) => handlerFailed(error, `onChange of the watch of group ${group}`),
          },
          opts.afterRevision,
        ),
      )
      const unwatch = () => {
        watches.delete(unwatch)
        for (const stop of stops) stop()
      }
      watches.add(unwatch)
      return unwatch
    },

    async stop(opts = {}) {
      if (starting) {
        // The start ends what it began (a lease granted meanwhile is revoked there).
        stopRequested = opts
        await starting.catch(() => undefined)
        return
      }
      const [c, k] = [clients, keeper]
      clients = undefined
      keeper = undefined
      sweeper = undefined
      // A watch left on a closed client would try to reconnect forever (and keep the process alive).
      for (const unwatch of [...watches]) unwatch()
      await k?.stop({ revoke: opts.revoke ?? false, timeoutMs: REVOKE_TIMEOUT_MS })
      held.clear()
      c?.close()
    },

    status() {
      const lease = keeper?.current()
      return {
        endpoints: [...config.endpoints],
        lastAnswered: order.lastAnswered,
        leaseId: lease?.id,
        validForMs: lease ? Math.max(0, lease.validUntil - clock.now()) : 0,
        held: lease?.id === heldUnder ? [...held].map(([group, revision]) => ({ group, revision })) : [],
      }
    },
  }
}

function warnHandlerFailed(error: unknown, where: string): void {
  process.emitWarning(
    `the etcd coordinator's ${where} threw; it goes on: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  )
}
