import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { testTiming, vip } from '../../test/fakes/machine-simulation.js'
import { addressKey, cidr, type InterfaceAddress } from '../model/ip.js'
import type { AddressControl, AddressLifetime, PresentAddress } from '../model/ports.js'
import type { EngineState, ResourceStatus } from '../state-machine/state.js'
import { initialState } from '../state-machine/transition.js'
import { lifetimeKeeper, lifetimeSeconds, RENEW_EVERY_MS } from './address-lifetimes.js'

const A = vip('10.0.0.100')

/**
 * Linux's address lifetimes on the fake clock: an address ends when its lifetime runs out, and a
 * change of an absent address adds it, as `ip addr change` does (logged as `created`: the thing
 * a keeper must never do).
 */
class FakeKernel implements AddressControl {
  /** Per address: when its lifetime was last set and to what. */
  readonly entries = new Map<string, { setAt: number; lifetime: AddressLifetime }>()
  readonly log: { at: number; op: string; address: string; lifetime?: AddressLifetime }[] = []
  /** Changes fail while set, as `ip` does when it may not (no CAP_NET_ADMIN). */
  refuse = false
  /** Changes wait for this before they land (an `ip -batch` busy, or slow): a test resolves it. */
  hold: Promise<void> | undefined
  constructor(private readonly clock: FakeClock) {}
  private sweep() {
    for (const [key, e] of this.entries)
      if (e.lifetime !== 'forever' && this.clock.now() >= e.setAt + e.lifetime * 1000)
        this.entries.delete(key)
  }
  has(a: InterfaceAddress) {
    this.sweep()
    return this.entries.has(addressKey(a))
  }
  async present(candidates: readonly InterfaceAddress[]) {
    return candidates.filter((a) => this.has(a))
  }
  async add(a: InterfaceAddress) {
    this.sweep()
    this.entries.set(addressKey(a), { setAt: this.clock.now(), lifetime: 'forever' })
  }
  async remove(a: InterfaceAddress) {
    this.entries.delete(addressKey(a))
  }
  async announce() {}
  async setLifetime(a: InterfaceAddress, lifetime: AddressLifetime) {
    if (this.hold) await this.hold
    if (this.refuse) throw new Error('RTNETLINK answers: Operation not permitted')
    const created = !this.has(a)
    this.log.push({ at: this.clock.now(), op: created ? 'created' : 'change', address: cidr(a), lifetime })
    this.entries.set(addressKey(a), { setAt: this.clock.now(), lifetime })
  }
  /** As Linux shows it: the lifetime less the whole seconds gone since it was set. */
  async lifetimes(candidates: readonly InterfaceAddress[]): Promise<PresentAddress[]> {
    this.log.push({ at: this.clock.now(), op: 'look', address: candidates.map(cidr).join() })
    return candidates.flatMap((a) => {
      if (!this.has(a)) return []
      const e = this.entries.get(addressKey(a))!
      const gone = Math.floor((this.clock.now() - e.setAt) / 1000)
      return [{ address: a, left: e.lifetime === 'forever' ? 'forever' : e.lifetime - gone }]
    })
  }
}

/** a holding its own A (deadAfter 3 s), b heard healthy or not; with `quorum`, its lease valid or not. */
function stateOf(
  own: ResourceStatus,
  peerHealthy: boolean,
  quorum?: { valid: boolean; onLoss?: 'release' | 'keep' },
): EngineState {
  const s = initialState(
    {
      self: 'a',
      listening: true,
      timing: testTiming({
        deadAfterMs: 3_000,
        intervalMs: 1_000,
        ...(quorum ? { quorum: { onLoss: quorum.onLoss ?? 'release' } } : {}),
      }),
      linkNames: ['lan'],
      peers: ['b'],
      resources: [{ owner: 'a', addresses: [A] }],
      releaseOnStop: true,
    },
    0,
  )
  return {
    ...s,
    ...(quorum ? { quorum: quorum.valid } : {}),
    resources: { a: { ...s.resources.a!, status: own } },
    peers: { b: { ...s.peers.b!, alive: peerHealthy, state: 'healthy' } },
  }
}

function setup(leaseEndsInMs?: () => number | undefined) {
  const clock = new FakeClock(0)
  const kernel = new FakeKernel(clock)
  const expired: string[] = []
  const events: unknown[] = []
  const keeper = lifetimeKeeper({
    clock,
    address: kernel,
    deadAfterMs: 3_000,
    emit: (e) => events.push(e),
    expired: (owner) => expired.push(owner),
    ...(leaseEndsInMs ? { leaseEndsInMs } : {}),
  })!
  /** The agent's own acquire: added, then held. */
  const acquire = async (peerHealthy = true) => {
    keeper.update(stateOf('acquiring', peerHealthy))
    await kernel.add(A)
    keeper.update(stateOf('held', peerHealthy))
    await clock.advance(0)
  }
  const ops = (op: string) => kernel.log.filter((l) => l.op === op)
  return { clock, kernel, keeper, expired, events, acquire, ops }
}

describe('kernel lifetimes of held addresses', () => {
  it('is 4 s at the default deadAfter of 3 s, and 2 s for fast timers', () => {
    expect(lifetimeSeconds(3_000)).toBe(4)
    expect(lifetimeSeconds(50)).toBe(2)
    expect(lifetimeSeconds(1_000)).toBe(2)
  })

  it('gives an address a peer would take over a lifetime at once, renews it every 500 ms, and never looks', async () => {
    const { clock, kernel, acquire, ops } = setup()
    await acquire()
    expect(ops('change')[0]).toMatchObject({ at: 0, lifetime: 4 })
    await clock.advance(10_000)
    expect(kernel.has(A)).toBe(true)
    expect(ops('change').length).toBeGreaterThanOrEqual(10_000 / RENEW_EVERY_MS)
    expect(ops('look')).toEqual([])
    expect(ops('created')).toEqual([])
  })

  it("with a quorum lease, ends the address before the lease can end, the kernel's lateness included", async () => {
    // The store could expire the lease 4.6 s from the start at the earliest; it is never renewed.
    let clockNow = () => 0
    const { clock, kernel, acquire, ops, expired } = setup(() => 4_600 - clockNow())
    clockNow = () => clock.now()
    await acquire()
    await clock.advance(1_000)
    expect(ops('change')[0]).toMatchObject({ at: 0, lifetime: 4 })
    expect(ops('change').at(-1)).toMatchObject({ at: 1_000, lifetime: 3 })
    await clock.advance(5_000)
    // Every lifetime ends, the kernel 500 ms late, before the lease can.
    const changes = ops('change')
    for (const c of changes) expect(c.at + Number(c.lifetime) * 1000 + 500).toBeLessThanOrEqual(4_600)
    // Never under 2 s: a lifetime of 1 s cannot be renewed in time. Once under that is left, the last
    // lifetime given runs out on its own.
    expect(changes.every((c) => Number(c.lifetime) >= 2)).toBe(true)
    expect(kernel.has(A)).toBe(false)
    expect(expired).toEqual(['a'])
    expect(ops('created')).toEqual([])
  })

  it('with a quorum lease renewed late (an etcd election), the address does not lapse: a renewal renews it at once', async () => {
    // Renewals every 1.33 s keep 2.67-4 s to the lease's end (leaseTtl 4 s, margin 1 s); one comes late.
    let renewedAt = 0
    let clockNow = () => 0
    const { clock, kernel, keeper, acquire, expired } = setup(() => renewedAt + 4_000 - clockNow())
    clockNow = () => clock.now()
    await acquire()
    // The renewal due at 1.33 s comes at 2.8 s (validity ends at 3 s): the lifetime given at its last
    // chance (1.35 s, 2 s) has 550 ms left then, too little for the ticks (every 500 ms) to renew it
    // in time; the renewal itself does. Then on time again, every 1.33 s.
    for (const at of [2_800, 4_133, 5_466, 6_800]) {
      await clock.advance(at - clock.now())
      renewedAt = at
      keeper.renewNow()
    }
    await clock.advance(1_000)
    expect(kernel.has(A)).toBe(true)
    expect(expired).toEqual([])
  })

  it('with quorum (onQuorumLoss release), gives a held address a lifetime while the lease is valid, though no peer is heard', async () => {
    // Any node may win the key once the lease expired: a frozen holder must lose its address first.
    const { clock, kernel, keeper, ops } = setup()
    keeper.update(stateOf('acquiring', false, { valid: true }))
    await kernel.add(A)
    keeper.update(stateOf('held', false, { valid: true }))
    await clock.advance(0)
    expect(ops('change')).toEqual([expect.objectContaining({ lifetime: 4 })])
    // Not valid, or kept by choice (onQuorumLoss keep): as without quorum, forever while no peer would take it.
    keeper.update(stateOf('held', false, { valid: false }))
    await clock.advance(RENEW_EVERY_MS)
    expect(ops('change').at(-1)).toMatchObject({ lifetime: 'forever' })
    keeper.update(stateOf('held', false, { valid: true, onLoss: 'keep' }))
    await clock.advance(RENEW_EVERY_MS)
    expect(ops('change').at(-1)).toMatchObject({ lifetime: 'forever' })
  })

  it('keeps an address forever while no peer would take it, and gives it a lifetime when one would', async () => {
    const { clock, kernel, keeper, acquire, ops } = setup()
    await acquire(false)
    await clock.advance(6_000)
    expect(kernel.has(A)).toBe(true)
    expect(ops('change')).toEqual([])
    keeper.update(stateOf('held', true))
    await clock.advance(0)
    expect(ops('change')).toEqual([expect.objectContaining({ lifetime: 4 })])
    keeper.update(stateOf('held', false))
    await clock.advance(6_000)
    expect(ops('change').at(-1)).toMatchObject({ lifetime: 'forever' })
    expect(kernel.has(A)).toBe(true)
  })

  it('does not let a pause shorter than deadAfter, starting just before a renewal, end the address', async () => {
    const { clock, kernel, expired, acquire, ops } = setup()
    await acquire()
    await clock.advance(RENEW_EVERY_MS - 1)
    const before = ops('change').length
    clock.jump(2_999)
    await clock.advance(RENEW_EVERY_MS * 4)
    expect(kernel.has(A)).toBe(true)
    // Renewed after the pause, without a look: it had time left.
    expect(ops('change').length).toBeGreaterThan(before)
    expect(ops('look')).toEqual([])
    expect(expired).toEqual([])
    expect(ops('created')).toEqual([])
  })

  it('a pause past the lifetime: the address ends by itself, the agent is told, and nothing adds it back', async () => {
    const { clock, kernel, keeper, expired, acquire, ops } = setup()
    await acquire()
    await clock.advance(1_000)
    clock.jump(4_500)
    expect(kernel.has(A)).toBe(false)
    // The engine asks before its first heartbeat after the pause.
    expect(keeper.lapsed()).toEqual(['a'])
    await clock.advance(5_000)
    expect(ops('created')).toEqual([])
    expect(expired).toEqual([])
  })

  it('a pause past the lifetime noticed by the renewal timer first: it looks, finds it gone, says so', async () => {
    const { clock, kernel, expired, acquire, ops } = setup()
    await acquire()
    clock.jump(6_000)
    await clock.advance(RENEW_EVERY_MS)
    expect(ops('look')).toHaveLength(1)
    expect(expired).toEqual(['a'])
    expect(kernel.has(A)).toBe(false)
    await clock.advance(4_000)
    expect(ops('created')).toEqual([])
    expect(expired).toEqual(['a'])
    // Still held by the machine 5 s on (its release failed): looked at and reported again.
    await clock.advance(1_500)
    expect(expired).toEqual(['a', 'a'])
    expect(ops('created')).toEqual([])
  })

  it('an address found on the interface at start is looked at before any change', async () => {
    const { clock, kernel, keeper, expired } = setup()
    await kernel.setLifetime(A, 3)
    kernel.log.length = 0
    keeper.update(stateOf('held', true))
    await clock.advance(0)
    expect(kernel.log.map((l) => l.op)).toEqual(['look', 'change'])
    await clock.advance(10_000)
    expect(kernel.has(A)).toBe(true)
    expect(expired).toEqual([])
  })

  it('an address found at start about to end is left to end, then reported: never changed blind', async () => {
    const { clock, kernel, keeper, expired, ops } = setup()
    // 0.1 s left, shown as 1 s: the kernel counts whole seconds gone.
    await kernel.setLifetime(A, 2)
    await clock.advance(1_900)
    kernel.log.length = 0
    keeper.update(stateOf('held', true))
    await clock.advance(2_000)
    expect(ops('change')).toEqual([])
    expect(ops('created')).toEqual([])
    expect(expired).toEqual(['a'])
  })

  it('with quorum, an address a running acquire adopted gets a capped lifetime at once and keeps it renewed through PostAcq; forgotten, it is never changed again', async () => {
    let clockNow = () => 0
    // A lease renewed all along: 4 s from now at the earliest.
    const { clock, kernel, keeper, ops } = setup(() => 4_000 - (clockNow() % 1_000))
    clockNow = () => clock.now()
    keeper.update(stateOf('acquiring', true, { valid: true }))
    await kernel.add(A)
    keeper.adopt('a', [A])
    await clock.advance(0)
    expect(ops('change')[0]).toMatchObject({ at: 0, lifetime: 3 })
    // PostAcq runs 10 s: every step of the machine meanwhile keeps it, and it is renewed.
    for (let i = 0; i < 10; i++) {
      await clock.advance(1_000)
      keeper.update(stateOf('acquiring', true, { valid: true }))
    }
    expect(kernel.has(A)).toBe(true)
    expect(ops('change').length).toBeGreaterThanOrEqual(10_000 / RENEW_EVERY_MS)
    // The checklist removes it (its lease was lost): forgotten first, nothing re-adds it after.
    await keeper.forget('a')
    await kernel.remove(A)
    const changes = ops('change').length
    await clock.advance(5_000)
    keeper.update(stateOf('acquiring', true, { valid: true }))
    await clock.advance(5_000)
    expect(ops('change')).toHaveLength(changes)
    expect(ops('created')).toEqual([])
    expect(kernel.has(A)).toBe(false)
  })

  it('an adopted address is kept on as a held one when the acquire ends, and dropped when it ends otherwise', async () => {
    const { clock, kernel, keeper, ops } = setup(() => 4_000)
    keeper.update(stateOf('acquiring', true, { valid: true }))
    await kernel.add(A)
    keeper.adopt('a', [A])
    await clock.advance(1_000)
    keeper.update(stateOf('held', true, { valid: true }))
    await clock.advance(2_000)
    expect(ops('look')).toEqual([])
    const renewing = ops('change').length
    await clock.advance(1_000)
    expect(ops('change').length).toBeGreaterThan(renewing)

    // Another acquire that ends idle (its address removed by the checklist): no more changes.
    keeper.update(stateOf('acquiring', true, { valid: true }))
    keeper.adopt('a', [A])
    keeper.update(stateOf('idle', true, { valid: true }))
    await kernel.remove(A)
    const after = ops('change').length
    await clock.advance(5_000)
    expect(ops('change')).toHaveLength(after)
    expect(ops('created')).toEqual([])
  })

  it('stops renewing once the machine releases the address, and a stop that keeps it makes it permanent', async () => {
    const { clock, kernel, keeper, acquire, ops } = setup()
    await acquire()
    keeper.update(stateOf('releasing', true))
    await kernel.remove(A)
    const changes = ops('change').length
    await clock.advance(5_000)
    expect(ops('change')).toHaveLength(changes)
    expect(ops('created')).toEqual([])

    await acquire()
    await clock.advance(1_000)
    await keeper.keepForever()
    await clock.advance(10_000)
    expect(kernel.has(A)).toBe(true)
    expect(ops('change').at(-1)).toMatchObject({ lifetime: 'forever' })
  })

  it('a stop that keeps the address waits for a change under way, then makes it permanent', async () => {
    const { clock, kernel, keeper, acquire, ops } = setup()
    let land = () => {}
    kernel.hold = new Promise((resolve) => {
      land = resolve
    })
    await acquire() // its change to 4 s is queued and waits
    const stopping = keeper.keepForever()
    kernel.hold = undefined
    land()
    await stopping
    expect(ops('change').map((c) => c.lifetime)).toEqual([4, 'forever'])
    await clock.advance(30_000)
    expect(kernel.has(A)).toBe(true)
  })

  it('after a pause it reports only what lapsed, and a lapsed address is never renewed from the queue', async () => {
    const { clock, keeper, acquire, ops } = setup()
    await acquire()
    await clock.advance(1_000)
    expect(keeper.lapsed()).toEqual([])
    clock.jump(3_800)
    expect(keeper.lapsed()).toEqual(['a'])
    await clock.advance(5_000)
    expect(ops('created')).toEqual([])
  })

  it('an adopted address that lapsed while the agent was frozen in its acquire is looked at, never changed blind, once the acquire ends', async () => {
    const { clock, kernel, keeper, ops, expired } = setup(() => 4_000)
    keeper.update(stateOf('acquiring', true, { valid: true }))
    await kernel.add(A)
    keeper.adopt('a', [A])
    await clock.advance(1_000)
    // Frozen past its lifetime (3 s, capped by the lease): the kernel removed it.
    clock.jump(4_000)
    expect(kernel.has(A)).toBe(false)
    expect(keeper.lapsed()).toEqual(['a'])
    // The acquire then ends, held: a look finds it gone and says so; nothing adds it back.
    keeper.update(stateOf('acquiring', true, { valid: true }))
    keeper.update(stateOf('held', true, { valid: true }))
    await clock.advance(2_000)
    expect(ops('look').length).toBeGreaterThan(0)
    expect(ops('created')).toEqual([])
    expect(kernel.has(A)).toBe(false)
    expect(expired).toEqual(['a'])
  })

  it('with quorum, gives no lifetime while the lease is not known valid: none may outlast it', async () => {
    let valid = true
    const { clock, kernel, keeper, ops } = setup(() => (valid ? 4_000 : undefined))
    keeper.update(stateOf('acquiring', true, { valid: true }))
    await kernel.add(A)
    keeper.adopt('a', [A])
    await clock.advance(0)
    expect(ops('change')).toHaveLength(1)
    valid = false
    await clock.advance(2_000)
    // The one lifetime given (3 s) runs out; no renewal stretched it past the lease.
    expect(ops('change')).toHaveLength(1)
    await clock.advance(1_500)
    expect(kernel.has(A)).toBe(false)
    expect(ops('created')).toEqual([])
  })

  it('a renewal that fails is reported once, and retried', async () => {
    const { clock, kernel, events, acquire } = setup()
    await acquire()
    kernel.refuse = true
    await clock.advance(2_000)
    expect(events).toEqual([
      expect.objectContaining({ kind: 'error', context: expect.stringContaining('10.0.0.100') }),
    ])
    kernel.refuse = false
    await clock.advance(1_000)
    expect(kernel.has(A)).toBe(true)
    expect(kernel.log.at(-1)).toMatchObject({ op: 'change', lifetime: 4 })
  })
})
