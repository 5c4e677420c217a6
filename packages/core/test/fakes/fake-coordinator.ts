import type {
  ClaimResult,
  Coordinator,
  CoordinatorReport,
  CoordinatorStatus,
  HolderChange,
} from '../../src/model/coordination.js'
import { CoordinationError } from '../../src/model/errors.js'
import type { Clock, TimerHandle } from '../../src/model/ports.js'

/**
 * An in-memory etcd for coordinators on one clock (a FakeClock, so tests move time): keys bound to
 * leases, one revision counter, leases that expire TTL after their last renewal, watches. `cut`
 * makes it unreachable from one node, as a node cut off from the etcd majority.
 */
export class FakeEtcd {
  private revision = 1
  private nextLease = 1
  private readonly keys = new Map<string, { value: string; lease: string; modRevision: number }>()
  private readonly leases = new Map<string, { expiry: TimerHandle }>()
  private readonly watchers = new Map<string, Set<(change: HolderChange) => void>>()
  private readonly history: { key: string; revision: number; change: HolderChange }[] = []
  private readonly cutOff = new Set<string>()

  constructor(readonly clock: Clock) {}

  /** Cuts one node off from etcd (or lets it reach etcd again). */
  cut(node: string, isCut: boolean): void {
    if (isCut) this.cutOff.add(node)
    else this.cutOff.delete(node)
  }

  reachable(node: string): boolean {
    return !this.cutOff.has(node)
  }

  reach(node: string): void {
    if (this.cutOff.has(node))
      throw new CoordinationError(`etcd is unreachable from ${node} (cut off in the test)`)
  }

  grant(ttlMs: number): string {
    const id = String(this.nextLease++)
    this.leases.set(id, { expiry: this.clock.setTimeout(() => this.revoke(id), ttlMs) })
    return id
  }

  /** Restarts the lease's TTL; false when it is gone. */
  renew(id: string, ttlMs: number): boolean {
    const lease = this.leases.get(id)
    if (!lease) return false
    this.clock.clearTimeout(lease.expiry)
    lease.expiry = this.clock.setTimeout(() => this.revoke(id), ttlMs)
    return true
  }

  /** Ends the lease and deletes every key bound to it (as expiry does). */
  revoke(id: string): void {
    const lease = this.leases.get(id)
    if (!lease) return
    this.clock.clearTimeout(lease.expiry)
    this.leases.delete(id)
    for (const [key, held] of this.keys) if (held.lease === id) this.delete(key)
  }

  claim(key: string, value: string, lease: string): ClaimResult {
    if (!this.leases.has(lease)) throw new CoordinationError(`lease ${lease} not found`)
    const held = this.keys.get(key)
    if (held?.lease === lease) return { won: true, revision: String(held.modRevision) }
    if (held) return { won: false, holder: held.value, revision: String(held.modRevision) }
    const modRevision = ++this.revision
    this.keys.set(key, { value, lease, modRevision })
    this.notify(key, { kind: 'put', holder: value, revision: String(modRevision) })
    return { won: true, revision: String(modRevision) }
  }

  /** Writes a key bound to `lease` again, at a new revision (a claim of this node's own leftover key). */
  rewrite(key: string, value: string, lease: string): ClaimResult {
    const held = this.keys.get(key)
    if (held?.lease !== lease) return this.claim(key, value, lease)
    const modRevision = ++this.revision
    this.keys.set(key, { value, lease, modRevision })
    this.notify(key, { kind: 'put', holder: value, revision: String(modRevision) })
    return { won: true, revision: String(modRevision) }
  }

  /** The lease the key is bound to, if it is held. */
  leaseOf(key: string): string | undefined {
    return this.keys.get(key)?.lease
  }

  release(key: string, lease: string): boolean {
    if (this.keys.get(key)?.lease !== lease) return false
    this.delete(key)
    return true
  }

  /** Changes from now on, or from just after `afterRevision` (what came since is replayed first). */
  watch(key: string, onChange: (change: HolderChange) => void, afterRevision?: string): () => void {
    if (afterRevision !== undefined)
      for (const past of this.history)
        if (past.key === key && past.revision > Number(afterRevision)) onChange(past.change)
    const set = this.watchers.get(key) ?? new Set()
    this.watchers.set(key, set)
    set.add(onChange)
    return () => set.delete(onChange)
  }

  private delete(key: string): void {
    this.keys.delete(key)
    this.notify(key, { kind: 'delete', revision: String(++this.revision) })
  }

  private notify(key: string, change: HolderChange): void {
    this.history.push({ key, revision: Number(change.revision), change })
    for (const onChange of this.watchers.get(key) ?? []) onChange(change)
  }
}

/**
 * A Coordinator on a FakeEtcd: the same contract as the etcd adapter (test/coordination/), with
 * instant calls. It renews every TTL/3 and is valid until a renewal's time + TTL - margin.
 */
export function fakeCoordinator(
  etcd: FakeEtcd,
  opts: { node: string; ttlMs: number; marginMs: number; prefix?: string },
): Coordinator {
  const { clock } = etcd
  const prefix = opts.prefix ?? '/ipfo/'
  const key = (group: string) => `${prefix}holders/${group}`
  const held = new Map<string, string>()
  let lease: { id: string; validUntil: number } | undefined
  let onReport: ((report: CoordinatorReport) => void) | undefined
  let timer: TimerHandle | undefined

  const grant = () => {
    const id = etcd.grant(opts.ttlMs)
    lease = { id, validUntil: clock.now() + opts.ttlMs - opts.marginMs }
    held.clear()
    onReport?.({
      kind: 'lease-granted',
      leaseId: id,
      validUntil: lease.validUntil,
      ttlMs: opts.ttlMs,
      endpoint: 'fake',
    })
  }

  const tick = () => {
    timer = clock.setTimeout(tick, Math.floor(opts.ttlMs / 3))
    try {
      etcd.reach(opts.node)
    } catch (error) {
      onReport?.({ kind: 'unreachable', message: (error as Error).message })
      return
    }
    if (!lease) return grant()
    const sentAt = clock.now()
    if (etcd.renew(lease.id, opts.ttlMs)) {
      lease.validUntil = sentAt + opts.ttlMs - opts.marginMs
      onReport?.({ kind: 'lease-renewed', leaseId: lease.id, validUntil: lease.validUntil, endpoint: 'fake' })
    } else {
      const lost = lease.id
      lease = undefined
      held.clear()
      onReport?.({
        kind: 'lease-lost',
        leaseId: lost,
        reason: 'the server says the lease expired or was revoked',
      })
      grant()
    }
  }

  const current = (what: string) => {
    if (!onReport) throw new CoordinationError(`cannot ${what}: the coordinator is not started`)
    etcd.reach(opts.node)
    if (!lease) throw new CoordinationError(`cannot ${what}: this node has no etcd lease now`)
    return lease
  }
  const unwatchAll = new Set<() => void>()

  return {
    // Nothing to load.
    async prepare() {},
    async start(report) {
      etcd.reach(opts.node)
      onReport = report
      grant()
      timer = clock.setTimeout(tick, Math.floor(opts.ttlMs / 3))
    },
    async claim(group, value) {
      const valid = current(`claim ${group}`)
      if (valid.validUntil <= clock.now())
        throw new CoordinationError(`cannot claim ${group}: lease ${valid.id} is not known valid now`)
      const before = etcd.leaseOf(key(group))
      let result = etcd.claim(key(group), value, valid.id)
      // As the adapter: this node's value under another lease is an earlier run's, revoked.
      const stale = etcd.leaseOf(key(group))
      if (!result.won && result.holder === value && stale !== undefined && stale !== valid.id) {
        etcd.revoke(stale)
        result = etcd.claim(key(group), value, valid.id)
      }
      // As the adapter: its own key at a revision it does not hold by (a release unanswered) is
      // written again, at a new revision.
      if (result.won && before === valid.id && held.get(group) !== result.revision)
        result = etcd.rewrite(key(group), value, valid.id)
      if (result.won) held.set(group, result.revision)
      return result
    },
    async release(group) {
      // As the adapter: not held from the moment it is asked, whatever etcd answers.
      held.delete(group)
      return etcd.release(key(group), current(`release ${group}`).id)
    },
    watch(group, onChange, watchOpts = {}) {
      if (!onReport) throw new CoordinationError(`cannot watch ${group}: the coordinator is not started`)
      const stopWatching = etcd.watch(key(group), onChange, watchOpts.afterRevision)
      const unwatch = () => {
        unwatchAll.delete(unwatch)
        stopWatching()
      }
      unwatchAll.add(unwatch)
      return unwatch
    },
    async stop(stopOpts = {}) {
      if (timer !== undefined) clock.clearTimeout(timer)
      for (const unwatch of [...unwatchAll]) unwatch()
      // A node cut off from etcd cannot revoke: its keys go only when the lease expires, as with etcd.
      if (stopOpts.revoke && lease && etcd.reachable(opts.node)) etcd.revoke(lease.id)
      onReport = undefined
      lease = undefined
      held.clear()
    },
    status(): CoordinatorStatus {
      return {
        endpoints: ['fake'],
        lastAnswered: lease ? 'fake' : undefined,
        leaseId: lease?.id,
        validForMs: lease ? Math.max(0, lease.validUntil - clock.now()) : 0,
        held: [...held].map(([group, revision]) => ({ group, revision })),
      }
    },
  }
}
