// Two real engines on a fake network, a fake clock and an in-memory etcd (test/fakes): the engine's
// side of quorum (issue 21). The real etcd's side is the coordinator contract's (test/coordination).
import { describe, expect, it } from 'vitest'
import { engineConfig, TEST_KEYS, TEST_VIP } from '../../test/fakes/engine-nodes.js'
import {
  type AddressOperation,
  doubleHolds,
  FakeAddressControl,
} from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeEtcd, fakeCoordinator } from '../../test/fakes/fake-coordinator.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { RecordingHooks } from '../../test/fakes/recording-hooks.js'
import type { ConfigInput } from '../config/schema.js'
import type { Coordinator } from '../model/coordination.js'
import type { IpfoEvent } from '../model/events.js'
import type { InterfaceAddress } from '../model/ip.js'
import type { AddressLifetime, PresentAddress, TimerHandle } from '../model/ports.js'
import { createEngine } from './engine.js'

const KEYS = TEST_KEYS
const VIP = TEST_VIP
const TTL_MS = 2_000
const MARGIN_MS = 500
const LINKS = ['private', 'public']

function config(
  node: string,
  extra: Partial<ConfigInput>,
  onQuorumLoss: 'release' | 'keep',
  lease = { ttlMs: TTL_MS, marginMs: MARGIN_MS },
) {
  return engineConfig(node, {
    coordination: {
      kind: 'etcd',
      endpoints: ['http://127.0.0.1:2379'],
      leaseTtl: `${lease.ttlMs}ms`,
      margin: `${lease.marginMs}ms`,
      onQuorumLoss,
    },
    ...extra,
  })
}

/** a owns the VIP, b takes it over; both keep their quorum in one in-memory etcd. */
/**
 * An interface table with Linux's address lifetimes, as the agent's `ip -batch` has them: a change of
 * an absent address adds it (`added` says which: what a stop must never do to a removed address).
 */
class LifetimeAddressControl extends FakeAddressControl {
  readonly added: string[] = []
  /** The kernel's removal of each address whose lifetime is finite, on the test's clock. */
  private readonly ends = new Map<string, { at: number; timer: TimerHandle }>()

  constructor(
    private readonly clock: FakeClock,
    node: string,
    journal: AddressOperation[],
  ) {
    super(() => clock.now(), node, journal)
  }

  async setLifetime(a: InterfaceAddress, lifetime: AddressLifetime): Promise<void> {
    if (!this.has(a.ip)) {
      this.added.push(a.ip)
      await this.add(a)
    }
    this.endLifetime(a.ip)
    if (lifetime === 'forever') return
    const timer = this.clock.setTimeout(() => {
      this.ends.delete(a.ip)
      if (this.has(a.ip)) void this.remove(a)
    }, lifetime * 1000)
    this.ends.set(a.ip, { at: this.clock.now() + lifetime * 1000, timer })
  }

  override async remove(a: InterfaceAddress): Promise<void> {
    if (!this.failRemove) this.endLifetime(a.ip)
    await super.remove(a)
  }

  async lifetimes(candidates: readonly InterfaceAddress[]): Promise<PresentAddress[]> {
    return candidates
      .filter((a) => this.has(a.ip))
      .map((address) => {
        const end = this.ends.get(address.ip)
        return { address, left: end ? Math.ceil((end.at - this.clock.now()) / 1000) : 60 }
      })
  }

  /** Whether the kernel will remove the address by itself (a finite lifetime). */
  expiring(ip: string): boolean {
    return this.ends.has(ip)
  }

  private endLifetime(ip: string): void {
    const end = this.ends.get(ip)
    if (end) this.clock.clearTimeout(end.timer)
    this.ends.delete(ip)
  }
}

function cluster(
  onQuorumLoss: 'release' | 'keep' = 'release',
  lease = { ttlMs: TTL_MS, marginMs: MARGIN_MS },
) {
  const clock = new FakeClock()
  const net = new FakeNetwork(() => clock.now())
  const etcd = new FakeEtcd(clock)
  const log: AddressOperation[] = []
  const events: { node: string; event: IpfoEvent }[] = []
  /**
   * A node's agent. `address`: the kernel's addresses of an earlier run (a restart). `kill()` stops
   * it as kill -9 would: none of its timers fires again, nothing it does reaches anyone.
   */
  const node = (
    id: string,
    extra: Partial<ConfigInput>,
    address = new LifetimeAddressControl(clock, id, log),
  ) => {
    let dead = false
    const ownClock = {
      now: () => clock.now(),
      wallNow: () => clock.wallNow(),
      setTimeout: (fn: () => void, ms: number) => clock.setTimeout(() => dead || fn(), ms),
      clearTimeout: (handle: Parameters<FakeClock['clearTimeout']>[0]) => clock.clearTimeout(handle),
      afterIo: (fn: () => void) => clock.afterIo(() => dead || fn()),
    }
    const hooks = new RecordingHooks()
    const tokens: (string | undefined)[] = []
    const runPhase = hooks.runPhase.bind(hooks)
    hooks.runPhase = async (phase, ctx, run) => {
      tokens.push(`${phase}:${ctx.fencingToken ?? ''}`)
      return runPhase(phase, ctx, run)
    }
    const coordinator: Coordinator = fakeCoordinator(etcd, { node: id, ...lease })
    const engine = createEngine({
      config: config(id, extra, onQuorumLoss, lease),
      keys: KEYS,
      clock: ownClock,
      transport: net.transport(id, LINKS),
      address,
      hooks,
      coordinator,
      onEvent: (event) => events.push({ node: id, event }),
    })
    const said = (kind: string) =>
      events.filter((e) => e.node === id && e.event.kind === kind).map((e) => e.event)
    const kill = async () => {
      dead = true
      // Its lease is no longer renewed, and nobody revokes it.
      await coordinator.stop({ revoke: false })
    }
    return { engine, address, hooks, tokens, coordinator, said, kill }
  }
  const A_CONFIG: Partial<ConfigInput> = { owns: [VIP], peers: [{ id: 'b' }] }
  const a = node('a', A_CONFIG)
  const b = node('b', { peers: [{ id: 'a', takeover: [VIP] }] })
  /** Node `id` stops being heard on every link (dead, or cut off from its peers). */
  const isolate = (id: string) => {
    for (const link of LINKS) net.setCut(id, link, true)
  }
  const firstAdd = (id: string) => log.find((op) => op.node === id && op.op === 'add')
  /** Runs `first` before each run of `phase` on `node` (a hook that takes long, never ends, or cuts). */
  const before = (node: 'a' | 'b', phase: string, first: () => Promise<void>) => {
    const hooks = (node === 'a' ? a : b).hooks
    const runPhase = hooks.runPhase.bind(hooks)
    hooks.runPhase = async (p, ctx, run) => {
      if (p === phase) await first()
      return runPhase(p, ctx, run)
    }
  }
  /** a's agent started again on the same machine (its addresses as the last run left them). */
  const restartA = () => node('a', A_CONFIG, a.address)
  return { clock, net, etcd, log, events, a, b, isolate, firstAdd, restartA, before }
}

async function started(c: ReturnType<typeof cluster>) {
  await c.a.engine.start()
  await c.b.engine.start()
  await c.clock.advance(1_000)
  expect(c.a.address.has('10.0.0.100')).toBe(true)
  expect(c.b.address.has('10.0.0.100')).toBe(false)
}

describe('quorum on a store (coordination)', () => {
  it('the owner claims its key before it adds its address, and its hooks get the key revision as fencing token', async () => {
    const c = cluster()
    await started(c)
    expect(c.a.coordinator.status().held).toEqual([{ group: 'a', revision: expect.any(String) }])
    const token = c.a.coordinator.status().held[0]!.revision
    expect(c.a.tokens).toEqual([`PreAcq:${token}`, `PostAcq:${token}`])
    expect(c.b.said('claim-lost')).toEqual([])
    expect(c.a.engine.status().quorum).toMatchObject({
      valid: true,
      onLoss: 'release',
      held: [{ group: 'a', revision: token }],
      validForMs: expect.any(Number),
    })
    expect(c.a.engine.status().quorum!.validForMs).toBeGreaterThan(0)
  })

  it('nothing is acquired before the first lease: an owner cut off from etcd at start holds nothing', async () => {
    const c = cluster()
    c.etcd.cut('a', true)
    await c.a.engine.start()
    await c.clock.advance(3_000)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.a.said('quorum-unreachable')).toHaveLength(1)
    c.etcd.cut('a', false)
    await c.clock.advance(3_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.a.said('quorum-reachable')).toHaveLength(1)
    expect(c.a.said('quorum-lease')).toHaveLength(1)
  })

  it('a dead holder: the taker claims at once, loses to the key, and takes over when the lease expires on the server, never before', async () => {
    const c = cluster()
    await started(c)
    // a's machine dies: silent on every link, its lease no longer renewed (it stops without a revoke).
    const diedAt = c.clock.now()
    c.isolate('a')
    await c.a.coordinator.stop({ revoke: false })
    await c.clock.advance(600)
    expect(c.b.said('claim-lost')).toMatchObject([{ owner: 'a', holder: 'a' }])
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    await c.clock.advance(2_000)
    const taken = c.firstAdd('b')
    expect(taken).toBeDefined()
    // The key went with a's lease, TTL after its last renewal: b's add comes after that, and soon.
    expect(taken!.at).toBeGreaterThan(diedAt + TTL_MS - TTL_MS / 3)
    expect(taken!.at).toBeLessThanOrEqual(diedAt + TTL_MS + 100)
    expect(c.b.said('claim-lost')).toHaveLength(1)
  })

  it("an agent killed and started again within the TTL takes its key back at once (its last run's lease revoked), not after the TTL", async () => {
    const c = cluster()
    await started(c)
    const killedAt = c.clock.now()
    await c.a.kill()
    const again = c.restartA()
    await again.engine.start()
    await c.clock.advance(1_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    const readded = c.log.find((op) => op.node === 'a' && op.op === 'add' && op.at >= killedAt)
    // Removed at start (only a key won under this run's lease holds it), then added again before the
    // last run's lease could have expired by itself (TTL after its last renewal, at most TTL/3 ago).
    expect(c.log.filter((op) => op.node === 'a' && op.at >= killedAt).map((op) => op.op)).toEqual([
      'remove',
      'add',
      'announce',
    ])
    expect(readded!.at).toBeLessThan(killedAt + TTL_MS - TTL_MS / 3)
    expect(again.said('claim-lost')).toEqual([])
    // What the last run's PostAcq set up is undone before the new run claims: release hooks first.
    expect(again.said('released-at-start')).toMatchObject([{ owner: 'a', addresses: ['10.0.0.100/24'] }])
    const token = again.coordinator.status().held[0]!.revision
    expect(again.tokens).toEqual(['PreRel:', 'PostRel:', `PreAcq:${token}`, `PostAcq:${token}`])
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('a holder cut off from its peers and from etcd removes its address before the taker can add it', async () => {
    const c = cluster()
    await started(c)
    c.isolate('a')
    c.etcd.cut('a', true)
    await c.clock.advance(4_000)
    expect(c.a.said('quorum-lost')).toMatchObject([{ onLoss: 'release', addresses: ['10.0.0.100/24'] }])
    expect(c.a.said('releasing')).toMatchObject([{ owner: 'a', cause: 'quorum-lost' }])
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    const removed = c.log.find((op) => op.node === 'a' && op.op === 'remove')!
    expect(removed.at).toBeLessThan(c.firstAdd('b')!.at)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('onQuorumLoss keep: the cut-off holder keeps its address and says so loudly', async () => {
    const c = cluster('keep')
    await started(c)
    c.etcd.cut('a', true)
    await c.clock.advance(4_000)
    expect(c.a.said('quorum-lost')).toMatchObject([{ onLoss: 'keep', addresses: ['10.0.0.100/24'] }])
    expect(c.a.address.has('10.0.0.100')).toBe(true)
  })

  it('keep: the key that went with a lost lease is claimed again under the next one', async () => {
    const c = cluster('keep')
    await started(c)
    // etcd does not answer a past its lease's TTL: the lease and the key expire on the server. a keeps
    // its address (keep); b hears a all along and takes nothing.
    c.etcd.cut('a', true)
    await c.clock.advance(TTL_MS + 2_000)
    expect(c.etcd.leaseOf('/ipfo/holders/a')).toBeUndefined()
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    c.etcd.cut('a', false)
    await c.clock.advance(3_000)
    expect(c.a.said('quorum-lease')).toHaveLength(2)
    expect(c.etcd.leaseOf('/ipfo/holders/a')).toBe(c.a.coordinator.status().leaseId)
    expect(c.a.engine.status().quorum?.held).toMatchObject([{ group: 'a' }])
    expect(c.a.address.has('10.0.0.100')).toBe(true)
  })

  it('keep: a node that kept its address through a lost lease lets it go when its next lease finds the key won by another node', async () => {
    const c = cluster('keep')
    await started(c)
    c.isolate('a')
    c.etcd.cut('a', true)
    await c.clock.advance(TTL_MS + 2_000)
    // b took it over once a's lease expired; a kept it (keep: two holders, said loudly).
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    // etcd answers a again (its peers still do not hear it): its new lease does not hold the key.
    c.etcd.cut('a', false)
    await c.clock.advance(3_000)
    // Then again by its own acquire (it hears nobody hold them), which waits for the key to go.
    expect(c.a.said('claim-lost')[0]).toMatchObject({ owner: 'a', holder: 'b' })
    expect(c.a.said('releasing')).toMatchObject([{ owner: 'a', cause: 'key-lost' }])
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    await c.clock.advance(5_000)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
  })

  it('quorum back: the same node claims again (a new lease if the old one expired), one holder throughout', async () => {
    const c = cluster()
    await started(c)
    c.etcd.cut('a', true)
    await c.clock.advance(4_000)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    c.etcd.cut('a', false)
    await c.clock.advance(3_000)
    // Once at start, once now.
    expect(c.a.said('quorum-regained')).toHaveLength(2)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('a clean stop deletes the key and hands over at once: the taker adds within the next heartbeat', async () => {
    const c = cluster()
    await started(c)
    const stopping = c.a.engine.stop()
    await c.clock.advance(200)
    await stopping
    const removed = c.log.find((op) => op.node === 'a' && op.op === 'remove')!
    const taken = c.firstAdd('b')
    expect(taken).toBeDefined()
    expect(taken!.at - removed.at).toBeLessThan(100)
    expect(c.b.said('claim-lost')).toEqual([])
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('failback waits for the owner to have a lease: heard again without one, it is not given its address back into a gap', async () => {
    const c = cluster()
    await started(c)
    c.isolate('a')
    c.etcd.cut('a', true)
    await c.clock.advance(4_000)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    // The heartbeat links heal first; etcd answers a only 2 s later.
    for (const link of LINKS) c.net.setCut('a', link, false)
    await c.clock.advance(2_000)
    expect(c.a.engine.status().quorum?.valid).toBe(false)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    const healedAt = c.clock.now()
    c.etcd.cut('a', false)
    await c.clock.advance(4_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    // Handed over once a could claim: unheld between b's remove and a's add only.
    const removed = c.log.find((op) => op.node === 'b' && op.op === 'remove' && op.at >= healedAt)!
    const added = c.log.find((op) => op.node === 'a' && op.op === 'add' && op.at >= healedAt)!
    expect(added.at - removed.at).toBeLessThan(200)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('failback: the owner back from a cut waits for the taker to delete the key, then claims it', async () => {
    const c = cluster()
    await started(c)
    c.isolate('a')
    c.etcd.cut('a', true)
    await c.clock.advance(4_000)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    c.etcd.cut('a', false)
    for (const link of LINKS) c.net.setCut('a', link, false)
    await c.clock.advance(4_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('a stop whose release Test refuses still removes the address before the lease ends: never kept without a lease', async () => {
    const c = cluster()
    await started(c)
    c.a.hooks.verdict = 'notify-only'
    const stopping = c.a.engine.stop()
    await c.clock.advance(500)
    await stopping
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.a.said('error').map((e) => (e as { context: string }).context)).toContain(
      'stopping with a quorum lease',
    )
    // Nor made permanent after its remove (a lifetime change of an absent address adds it back).
    expect(c.a.address.added).toEqual([])
    await c.clock.advance(3_000)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('a lease replaced while PostAcq runs: the acquire ends by removing the address, never held without a key', async () => {
    const c = cluster()
    // a's PostAcq takes 2 s; meanwhile etcd forgets a's lease, and a gets a new one at its next renewal.
    c.before('a', 'PostAcq', () => new Promise<void>((resolve) => c.clock.setTimeout(resolve, 2_000)))
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(1_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    const revokedAt = c.clock.now()
    c.etcd.revoke(c.a.coordinator.status().leaseId!)
    await c.clock.advance(2_000)
    expect(
      c.a
        .said('error')
        .map((e) => (e as { message: string }).message)
        .join(),
    ).toContain('the quorum lease stopped being known valid while the acquire of 10.0.0.100/24 ran')
    // Removed when a heard its lease was gone (its next renewal), not when PostAcq ended.
    const removed = c.log.find((op) => op.node === 'a' && op.op === 'remove' && op.at >= revokedAt)
    expect(removed!.at).toBeLessThanOrEqual(revokedAt + TTL_MS / 3 + 10)
    // Then claimed again under the new lease after retryAfter (5 s); one holder throughout.
    await c.clock.advance(6_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.a.coordinator.status().held).toEqual([{ group: 'a', revision: expect.any(String) }])
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('quorum lost and back under the same lease, the key delete having failed: the owner acquires again and holds its key', async () => {
    const c = cluster()
    await started(c)
    // etcd does not answer a past its validity (a releases, and its key delete fails), but answers
    // again before the lease expires on the server: the same lease, renewed.
    c.etcd.cut('a', true)
    await c.clock.advance(TTL_MS - MARGIN_MS + 100)
    expect(c.a.said('quorum-lost')).toHaveLength(1)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    c.etcd.cut('a', false)
    await c.clock.advance(2_000)
    expect(c.a.said('quorum-lease')).toHaveLength(1)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    // Its key names it: the retried delete of the old one did not take the one the new acquire won.
    expect(c.etcd.leaseOf('/ipfo/holders/a')).toBeDefined()
    expect(c.a.coordinator.status().held).toMatchObject([{ group: 'a' }])
    await c.clock.advance(2_000)
    expect(c.etcd.leaseOf('/ipfo/holders/a')).toBeDefined()
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('an agent frozen in its own PostAcq loses the address to the kernel before its lease can expire: the taker adds it only after', async () => {
    const lease = { ttlMs: 4_000, marginMs: 1_000 }
    const c = cluster('release', lease)
    // a's PostAcq never ends: a is frozen in it.
    c.before('a', 'PostAcq', () => new Promise<void>(() => undefined))
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(300)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    // Acquiring still, and the kernel already has a lifetime for it.
    expect(c.a.engine.status().resources.find((r) => r.owner === 'a')?.status).toBe('acquiring')
    expect(c.a.address.expiring('10.0.0.100')).toBe(true)
    await c.a.kill()
    c.isolate('a')
    await c.clock.advance(lease.ttlMs + 2_000)
    const gone = c.log.find((op) => op.node === 'a' && op.op === 'remove')
    const taken = c.firstAdd('b')
    expect(gone).toBeDefined()
    expect(taken).toBeDefined()
    expect(gone!.at).toBeLessThan(taken!.at)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('the lease lapses while the add runs: the address goes as soon as it lands, PreAcq is undone, nothing is acquired', async () => {
    const c = cluster()
    // a's adds take 2 s, and its address commands run in order (as its ip -batch does); etcd stops
    // answering a as its PreAcq runs, so the lease lapses in the middle of the add.
    let queue: Promise<void> = Promise.resolve()
    const add = c.a.address.add.bind(c.a.address)
    const remove = c.a.address.remove.bind(c.a.address)
    c.a.address.add = (a) => {
      queue = queue.then(async () => {
        await new Promise<void>((resolve) => c.clock.setTimeout(resolve, 2_000))
        await add(a)
      })
      return queue
    }
    c.a.address.remove = (a) => {
      queue = queue.then(() => remove(a))
      return queue
    }
    c.before('a', 'PreAcq', async () => c.etcd.cut('a', true))
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(5_000)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    // Removed by the fence at the lapse and again by the acquire itself (a remove of nothing is nothing).
    const ops = c.log.filter((op) => op.node === 'a').map((op) => op.op)
    expect(ops[0]).toBe('add')
    expect(new Set(ops.slice(1))).toEqual(new Set(['remove']))
    expect(c.a.said('acquired')).toEqual([])
    expect(c.a.said('acquire-abandoned')).toMatchObject([{ owner: 'a', hooksUndone: true }])
  })

  it('the lease lapses while a long PostAcq runs: the address goes at once, not when PostAcq ends', async () => {
    const c = cluster()
    c.before('a', 'PostAcq', () => new Promise<void>((resolve) => c.clock.setTimeout(resolve, 10_000)))
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(300)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    const cutAt = c.clock.now()
    c.isolate('a')
    c.etcd.cut('a', true)
    await c.clock.advance(TTL_MS + 1_000)
    expect(c.a.said('quorum-lost')).toHaveLength(1)
    const gone = c.log.find((op) => op.node === 'a' && op.op === 'remove')
    // At the end of its validity (TTL - margin after its last renewal), long before PostAcq's end.
    expect(gone!.at).toBeLessThanOrEqual(cutAt + TTL_MS - MARGIN_MS + 10)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(gone!.at).toBeLessThan(c.firstAdd('b')!.at)
    // PostAcq ends; the acquire ends without the address, which stays with b.
    await c.clock.advance(10_000)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(doubleHolds(c.log)).toEqual([])
  })

  it('a key whose delete failed is deleted at the next renewal of the same lease', async () => {
    const c = cluster()
    await started(c)
    // The operator releases a's address while etcd does not answer a, for less than its margin.
    c.etcd.cut('a', true)
    expect(c.a.engine.release('a')).toBeUndefined()
    await c.clock.advance(100)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    // Not held by a any more, but its key is still there, bound to its lease.
    expect(c.a.coordinator.status().held).toEqual([])
    expect(c.etcd.leaseOf('/ipfo/holders/a')).toBe(c.a.coordinator.status().leaseId)
    c.etcd.cut('a', false)
    await c.clock.advance(1_000)
    expect(c.a.said('quorum-lost')).toEqual([])
    expect(c.etcd.leaseOf('/ipfo/holders/a')).toBeUndefined()
  })

  it('quorum lost and the remove fails: the release is tried again after retryAfter, not in a loop', async () => {
    const c = cluster()
    await started(c)
    c.a.address.failRemove = true
    c.etcd.cut('a', true)
    await c.clock.advance(12_000)
    const releases = c.a.said('releasing').length
    expect(releases).toBeGreaterThanOrEqual(2)
    expect(releases).toBeLessThanOrEqual(4)
  })
})
