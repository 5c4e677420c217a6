import { describe, expect, it } from 'vitest'
import { MachineCluster } from '../../test/fakes/machine-cluster.js'
import { vip } from '../../test/fakes/machine-simulation.js'
import { peerDeadline } from './liveness.js'

const VIP_A = vip('10.0.0.100')

/** Three nodes; a owns the address, then b, then c (interval 100 ms, deadAfter 300 ms). */
function trio(opts: ConstructorParameters<typeof MachineCluster>[2] = {}) {
  const c = new MachineCluster(
    ['a', 'b', 'c'],
    [{ owner: 'a', addresses: [VIP_A], takers: ['b', 'c'] }],
    opts,
  )
  c.run(1_000, c.never2())
  expect(c.holders('a')).toEqual(['a'])
  return c
}

describe('the one rule: among the live, fit nodes of the order, the first holds the address', () => {
  it('the owner dies: the next in order takes it, the third does not; then the second dies: the third', () => {
    const c = trio()
    c.kill('a')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['b'])
    expect(c.kinds('c')).not.toContain('acquiring')
    c.kill('b')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['c'])
  })

  it('the owner returns: the address goes back to it, released before it is claimed', () => {
    const c = trio()
    c.kill('a')
    c.run(600, c.never2())
    c.revive('a')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
  })

  it('a taker ahead returns while the third holds: the third hands it over (auto)', () => {
    const c = trio()
    c.kill('a')
    c.kill('b')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    c.revive('b')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['b'])
    expect(c.events('c')).toContainEqual(
      expect.objectContaining({ kind: 'releasing', reason: 'b is back, ahead of this node in the order' }),
    )
    c.revive('a')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
  })

  it('with failback stable, the hand-over to a taker ahead waits stableFor, and says so', () => {
    const c = trio({ timing: { failback: { policy: 'stable', stableForMs: 1_000, claimTimeoutMs: 5_000 } } })
    c.kill('a')
    c.kill('b')
    c.run(600, c.never2())
    c.revive('b')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    expect(c.events('c')).toContainEqual(
      expect.objectContaining({ kind: 'failback-pending', owner: 'a', policy: 'stable', to: 'b' }),
    )
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['b'])
  })

  it('with failback manual, the third keeps it when a taker ahead returns', () => {
    const c = trio({ timing: { failback: { policy: 'manual', stableForMs: 1_000, claimTimeoutMs: 5_000 } } })
    c.kill('a')
    c.kill('b')
    c.run(600, c.never2())
    c.revive('b')
    c.run(2_000, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    expect(c.events('c')).toContainEqual(
      expect.objectContaining({ kind: 'failback-pending', policy: 'manual', to: 'b' }),
    )
  })

  it('a taker ahead that is unfit is passed over, and takes nothing', () => {
    const c = trio()
    c.sick('b', 'a', true)
    c.kill('a')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['c'])
  })

  it('a taker ahead whose acquire is refused (Test) says it is unfit: the next one takes over', () => {
    const c = trio()
    c.outcome('b', 'acquire', 'notify-only')
    c.kill('a')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    // Past the refusal's retry time (60 s), b still says it is unfit: c is not asked to hand the
    // address back only for b to refuse it again.
    c.run(65_000, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    expect(c.kinds('c').filter((k) => k === 'releasing')).toEqual([])
    // The owner returns: every refusal is forgotten, and the address goes home.
    c.revive('a')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
  })

  it('a holder briefly unfit hands over to the next taker and waits for its answer before taking back', () => {
    const c = trio({ checklistMs: 150 })
    c.kill('a')
    c.run(800, c.never2())
    expect(c.holders('a')).toEqual(['b'])
    c.sick('b', 'a', true)
    c.run(180, c.never2())
    c.sick('b', 'a', false)
    c.run(2_000, c.never2())
    // b is ahead of c: the address goes back to b, once c's acquire has been heard and released.
    expect(c.holders('a')).toEqual(['b'])
  })

  it('a refusal lapses past its retry time when the holder is unfit: the refused taker is asked again', () => {
    const c = trio()
    c.outcome('b', 'acquire', 'notify-only')
    c.kill('a')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    c.outcome('b', 'acquire', 'done')
    c.sick('c', 'a', true)
    c.run(10_000, c.never2())
    expect(c.holders('a')).toEqual(['c'])
    c.run(55_000, c.never2())
    expect(c.holders('a')).toEqual(['b'])
  })

  it('a taker ahead in maintenance is passed over', () => {
    const c = trio()
    c.input('b', { kind: 'maintenance', on: true })
    c.kill('a')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['c'])
  })
})

describe('partial partitions: no second holder while a node still hears the holder, or hears of it', () => {
  it('c loses only its link to a: c hears of a through b and takes nothing', () => {
    const c = trio()
    c.cut('a', 'c')
    c.run(2_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
    expect(c.events('c')).toContainEqual({ kind: 'peer-indirect', peer: 'a', via: 'b' })
    expect(c.kinds('c')).not.toContain('peer-lost')
    c.heal('a', 'c')
    c.run(500, c.never2())
    expect(c.events('c')).toContainEqual({ kind: 'peer-indirect-cleared', peer: 'a' })
  })

  it('b, first in order, loses only its link to a: it hears of a through c and takes nothing', () => {
    const c = trio()
    c.cut('a', 'b')
    c.run(2_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
    expect(c.kinds('b')).not.toContain('acquiring')
    expect(c.events('b')).toContainEqual({ kind: 'peer-indirect', peer: 'a', via: 'c' })
  })

  it('b and c lose their link: both still hear a, which keeps it', () => {
    const c = trio()
    c.cut('b', 'c')
    c.run(2_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
  })

  it('cut from a, b still takes over once a dies: c stops hearing a too', () => {
    const c = trio()
    c.cut('a', 'b')
    c.run(1_000, c.never2())
    c.kill('a')
    c.run(800, c.never2())
    expect(c.holders('a')).toEqual(['b'])
  })

  it('a is unfit while b cannot hear it: b learns it through c and takes over', () => {
    const c = trio()
    c.cut('a', 'b')
    c.run(500, c.never2())
    c.sick('a', 'a', true)
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual(['b'])
  })

  it('the owner returns cut off from the holder: it hears of the holder through the third, and waits', () => {
    const c = trio()
    c.kill('a')
    c.run(600, c.never2())
    expect(c.holders('a')).toEqual(['b'])
    c.revive('a')
    c.cut('a', 'b')
    c.run(2_000, c.never2())
    // b hears of a through c and gives the address back; a claims it once it hears, through c, that b let go.
    expect(c.holders('a')).toEqual(['a'])
  })

  it('a fully isolated owner keeps its address and b takes over: two holders (as in VRRP; see quorum)', () => {
    const c = trio()
    c.cut('a', 'b')
    c.cut('a', 'c')
    c.run(1_000)
    expect(c.holders('a').sort()).toEqual(['a', 'b'])
  })
})

describe('two takers that both took the address while they could not hear each other', () => {
  it.each(['auto', 'stable', 'manual'] as const)(
    'failback %s: the one behind lets go as soon as it hears the one ahead hold it',
    (policy) => {
      const c = trio({ timing: { failback: { policy, stableForMs: 5_000, claimTimeoutMs: 10_000 } } })
      c.kill('a')
      c.cut('b', 'c')
      c.run(600)
      expect(c.holders('a').sort()).toEqual(['b', 'c'])
      c.heal('b', 'c')
      c.run(600)
      expect(c.holders('a')).toEqual(['b'])
      expect(c.events('c')).toContainEqual(
        expect.objectContaining({
          kind: 'releasing',
          reason: 'b, ahead of this node in the order, holds them too',
        }),
      )
    },
  )

  it('the owner alive and unfit, b cut off from both: b takes it, and so does c (a handed it over); then the same', () => {
    const c = trio({ timing: { failback: { policy: 'manual', stableForMs: 5_000, claimTimeoutMs: 10_000 } } })
    c.sick('a', 'a', true)
    c.cut('b', 'a')
    c.cut('b', 'c')
    c.run(1_000)
    expect(c.holders('a').sort()).toEqual(['b', 'c'])
    c.heal('b', 'a')
    c.heal('b', 'c')
    c.run(600)
    expect(c.holders('a')).toEqual(['b'])
  })

  it('the owner fit again as they meet (failback stable): the one behind lets go at once, the one ahead after stableFor', () => {
    const c = trio({ timing: { failback: { policy: 'stable', stableForMs: 5_000, claimTimeoutMs: 10_000 } } })
    c.sick('a', 'a', true)
    c.cut('b', 'a')
    c.cut('b', 'c')
    c.run(1_000)
    expect(c.holders('a').sort()).toEqual(['b', 'c'])
    c.sick('a', 'a', false)
    // c hears of b through a at once; b hears c later.
    c.heal('b', 'a')
    c.run(1_000)
    expect(c.holders('a')).toEqual(['b'])
    c.heal('b', 'c')
    c.run(6_000, c.never2())
    expect(c.holders('a')).toEqual(['a'])
  })
})

describe('the order is the same on every node, or nothing of it is taken over', () => {
  it('c sees the order differently: both report it, and neither takes the address when a dies', () => {
    const c = new MachineCluster(['a', 'b', 'c'], [{ owner: 'a', addresses: [VIP_A], takers: ['b', 'c'] }], {
      overrides: { c: [{ takers: ['c', 'b'] }] },
    })
    c.run(1_000, c.never2())
    expect(c.events('b')).toContainEqual(
      expect.objectContaining({ kind: 'order-mismatch', peer: 'c', owner: 'a', ours: ['a', 'b', 'c'] }),
    )
    expect(c.events('c')).toContainEqual(
      expect.objectContaining({ kind: 'order-mismatch', peer: 'b', owner: 'a', ours: ['a', 'c', 'b'] }),
    )
    c.kill('a')
    c.run(1_000, c.never2())
    expect(c.holders('a')).toEqual([])
  })

  it('a taker that lists other addresses for the owner disagrees', () => {
    const c = new MachineCluster(['a', 'b', 'c'], [{ owner: 'a', addresses: [VIP_A], takers: ['b', 'c'] }], {
      overrides: { c: [{ addresses: [VIP_A, vip('10.0.0.101')] }] },
    })
    c.run(1_000)
    const mismatch = c.events('b').find((e) => e.kind === 'order-mismatch')
    expect(mismatch).toMatchObject({
      peer: 'c',
      detail: "a's addresses: 10.0.0.100 here, 10.0.0.100, 10.0.0.101 on c",
    })
  })
})

describe('a stall of its own, with a peer heard of only through another', () => {
  it('the relayed peer is judged at the end of what a grace excuses, not when the grace ends', () => {
    const c = trio()
    c.cut('a', 'c')
    c.run(500, c.never2())
    c.kill('a')
    c.run(10)
    const relay = c.member('c').state.peers.a?.relay
    expect(relay?.via).toBe('b')
    const lastSeen = relay?.lastSeen ?? 0
    // Two stalls of c's own: the second grace (to lastSeen + 640) outlasts what one excuses (+ 500).
    c.now = lastSeen + 290
    c.input('c', { kind: 'stalled', stalledMs: 100 })
    c.now += 150
    c.input('c', { kind: 'stalled', stalledMs: 100 })
    const s = c.member('c').state
    expect(s.stallGraceUntil).toBe(lastSeen + 640)
    expect(s.peers.a?.alive).toBe(true)
    expect(peerDeadline(s, s.peers.a!, c.now)).toBe(lastSeen + 500)
  })
})
