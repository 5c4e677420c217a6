import { describe, expect, it } from 'vitest'
import { held, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import type { Timing } from './state.js'

const VIP_A = vip('10.0.0.100')
const LINKS = ['private', 'public']

function node(self: 'a' | 'b', timing: Partial<Timing> = {}) {
  return pairMachine(self, [{ owner: 'a', addresses: [VIP_A] }], { timing })
}

/** A holding its own address, having heard B. */
function ownerHolding() {
  const a = node('a')
  a.heartbeat('b', 'private')
  a.heartbeat('b', 'public')
  a.finish(a.lastChecklist())
  expect(a.status('a')).toBe('held')
  return a
}

describe('a split that heals: exactly one holder, and it announces again', () => {
  it('the owner reports the conflict while B also holds its address, then re-announces when B lets go', () => {
    const a = ownerHolding()
    a.effects.length = 0
    for (const link of LINKS) a.heartbeat('b', link, { held: [held(VIP_A)] })
    expect(a.events()).toEqual([
      { kind: 'address-conflict', owner: 'a', addresses: ['10.0.0.100/24'], holder: 'b' },
    ])
    expect(a.status('a')).toBe('held')

    a.effects.length = 0
    a.heartbeat('b', 'private', { held: [held(VIP_A, 'releasing')] })
    expect(a.effects).toEqual([])
    a.heartbeat('b', 'private', { held: [] })
    expect(a.events()).toEqual([
      { kind: 'address-conflict-resolved', owner: 'a', addresses: ['10.0.0.100/24'], holder: 'b' },
    ])
    expect(a.effects).toContainEqual({
      kind: 'announce',
      owner: 'a',
      addresses: [VIP_A],
      count: 3,
      intervalMs: 10,
    })
    expect(a.status('a')).toBe('held')
  })

  it('the node that took over releases when the owner is heard holding, without announcing', () => {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(300)
    b.finish(b.lastChecklist())
    expect(b.status('a')).toBe('held')
    b.effects.length = 0
    b.heartbeat('a', 'public', { held: [held(VIP_A)] })
    expect(b.kinds()).toEqual(['heartbeat-restored', 'peer-restored', 'address-conflict', 'releasing'])
    expect(b.lastChecklist().action).toBe('release')
    b.finish(b.lastChecklist())
    expect(b.status('a')).toBe('idle')
    expect(b.effects.some((e) => e.kind === 'announce')).toBe(false)
  })
})

describe('arbitration', () => {
  it('puts an arbitrate step first in automatic takeovers, not in an operator takeover', () => {
    const b = node('b', { arbitrate: true })
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(300)
    expect(b.lastChecklist().steps[0]).toEqual({ step: 'arbitrate' })

    const manual = node('b', { arbitrate: true })
    manual.heartbeat('a', 'private')
    manual.input({ kind: 'takeover', owner: 'a' })
    expect(manual.lastChecklist().steps.map((s) => s.step)).not.toContain('arbitrate')
  })

  it('without arbitration configured, no takeover has the step', () => {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.advance(300)
    expect(b.lastChecklist().steps.map((s) => s.step)).not.toContain('arbitrate')
  })

  it('a refused takeover changes nothing and is tried again after retryAfter', () => {
    const b = node('b', { arbitrate: true })
    b.heartbeat('a', 'private')
    b.advance(300)
    const first = b.lastChecklist()
    b.finish(first, 'refused')
    expect(b.status('a')).toBe('idle')
    b.advance(4_999)
    expect(b.checklists()).toHaveLength(1)
    b.advance(1)
    expect(b.checklists()).toHaveLength(2)
    expect(b.lastChecklist().steps[0]).toEqual({ step: 'arbitrate' })
  })
})

describe('a paused node judges its peers afresh', () => {
  it('after a freeze longer than deadAfter, peers get deadAfter from the resume before they are lost', () => {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.now += 5_000 // frozen: no tick ran
    expect(b.input({ kind: 'resumed', pausedMs: 5_000 })).toContainEqual({ kind: 'send-heartbeat' })
    b.input({ kind: 'tick' })
    expect(b.kinds()).not.toContain('peer-lost')
    b.heartbeat('a', 'private')
    b.advance(299)
    expect(b.kinds()).not.toContain('peer-lost')
    b.advance(1)
    expect(b.kinds()).toContain('peer-lost')
  })

  it('without the resume it would have declared the peer lost at once (what the grace prevents)', () => {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.now += 5_000
    b.input({ kind: 'tick' })
    expect(b.kinds()).toContain('peer-lost')
  })
})

describe('links that deliver at different speeds', () => {
  it('an older heartbeat arriving late on another link does not change what the peer holds', () => {
    const a = ownerHolding()
    a.effects.length = 0
    a.heartbeat('b', 'public', { held: [held(VIP_A)], sentAt: 2_000 })
    a.heartbeat('b', 'public', { held: [], sentAt: 2_100 })
    expect(a.kinds()).toEqual(['address-conflict', 'address-conflict-resolved'])
    // The private link comes back and hands over a heartbeat from before the release.
    a.heartbeat('b', 'private', { held: [held(VIP_A)], sentAt: 2_000 })
    expect(a.kinds()).toEqual(['address-conflict', 'address-conflict-resolved'])
    expect(a.effects.filter((e) => e.kind === 'announce')).toHaveLength(1)
  })
})

describe('a Test gate that says "notification only" is asked again', () => {
  it("this node's own addresses: after a minute, since nothing else would change", () => {
    const a = node('a')
    a.heartbeat('b', 'private')
    a.heartbeat('b', 'public')
    a.finish(a.lastChecklist(), 'notify-only')
    expect(a.status('a')).toBe('idle')
    a.heartbeatsUntil('b', LINKS, 100, a.now + 59_900)
    expect(a.checklists()).toHaveLength(1)
    a.heartbeatsUntil('b', LINKS, 100, a.now + 200)
    expect(a.checklists()).toHaveLength(2)
    expect(a.lastChecklist().action).toBe('acquire')
  })

  /** b has heard a, a fell silent, and b's takeover is running (Test not answered yet). */
  function bTakingOver() {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(300)
    expect(b.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
    return b
  }

  it("a peer's addresses while the peer stays lost: after a minute, a refusal may have been passing", () => {
    const b = bTakingOver()
    b.finish(b.lastChecklist(), 'notify-only')
    b.advance(59_900)
    expect(b.checklists()).toHaveLength(1)
    b.advance(200)
    expect(b.checklists()).toHaveLength(2)
    expect(b.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })

  it("a peer's addresses: sooner when its liveness changes, even while the refused checklist was still ending", () => {
    const b = bTakingOver()
    const refused = b.lastChecklist()
    // A late heartbeat of a arrives while Test's answer is being written down: restored, then lost.
    b.advance(50)
    b.heartbeat('a', 'public', { sentAt: b.now - 200 })
    expect(b.kinds()).toContain('peer-restored')
    b.advance(300)
    expect(b.kinds().filter((k) => k === 'peer-lost')).toHaveLength(2)
    b.finish(refused, 'notify-only')
    expect(b.checklists()).toHaveLength(2)
    expect(b.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })

  it("a peer's goodbye heard in the instant its takeover starts is not a change: no retry at that instant", () => {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(100)
    b.heartbeat('a', 'public', { state: 'stopping', held: [] })
    const takeover = b.lastChecklist()
    expect(takeover).toMatchObject({ action: 'acquire', owner: 'a' })
    b.finish(takeover, 'notify-only')
    expect(b.checklists()).toHaveLength(1)
    b.advance(59_999)
    expect(b.checklists()).toHaveLength(1)
    b.advance(1)
    expect(b.checklists()).toHaveLength(2)
  })

  it('a release refused while the owner holds the addresses too: tried again after retryAfter, not never', () => {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(300)
    b.finish(b.lastChecklist())
    for (const link of LINKS) b.heartbeat('a', link, { held: [held(VIP_A)] })
    const release = b.lastChecklist()
    expect(release.action).toBe('release')
    b.finish(release, 'notify-only')
    expect(b.status('a')).toBe('held')
    b.heartbeatsUntil('a', LINKS, 100, b.now + 4_900, [held(VIP_A)])
    expect(b.checklists()).toHaveLength(2)
    b.heartbeatsUntil('a', LINKS, 100, b.now + 300, [held(VIP_A)])
    expect(b.checklists()).toHaveLength(3)
    expect(b.lastChecklist().action).toBe('release')
  })
})

describe('an acquire that learns, while it runs, that a live peer holds the addresses', () => {
  /** B taking A over: A went silent for deadAfter (a stall, say) and B's checklist is running. */
  function takingOver() {
    const b = node('b')
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(300)
    const acquire = b.lastChecklist()
    expect(acquire.action).toBe('acquire')
    b.effects.length = 0
    return { b, acquire }
  }

  it('the taker asks its checklist to stop short, once, when the owner is heard holding them', () => {
    const { b } = takingOver()
    b.heartbeat('a', 'private', { held: [held(VIP_A)] })
    expect(b.effects).toContainEqual({ kind: 'yield-checklist', owner: 'a' })
    expect(b.events()).toContainEqual({
      kind: 'acquire-yielding',
      owner: 'a',
      addresses: ['10.0.0.100/24'],
      holder: 'a',
    })
    b.effects.length = 0
    b.heartbeat('a', 'public', { held: [held(VIP_A)] })
    expect(b.effects.filter((e) => e.kind === 'yield-checklist')).toEqual([])
  })

  it('an owner heard back holding nothing is no reason to stop: the takeover goes on, failback follows', () => {
    const { b, acquire } = takingOver()
    b.heartbeat('a', 'private')
    expect(b.effects.filter((e) => e.kind === 'yield-checklist')).toEqual([])
    b.finish(acquire)
    expect(b.lastChecklist().action).toBe('release')
    expect(b.lastChecklist().reason).toBe('peer a returned')
  })

  it('stopped before its add: nothing held, no block, peers told at once, and no new takeover while the owner lives', () => {
    const { b, acquire } = takingOver()
    b.heartbeat('a', 'private', { held: [held(VIP_A)] })
    expect(b.finish(acquire, 'yielded')).toContainEqual({ kind: 'send-heartbeat' })
    expect(b.status('a')).toBe('idle')
    expect(b.state.resources.a?.blocked).toBeNull()
    b.heartbeatsUntil('a', LINKS, 100, b.now + 1_000, [held(VIP_A)])
    expect(b.checklists()).toEqual([])
    // Silent again for deadAfter: taken over again, the yield forgotten.
    b.advance(300)
    expect(b.lastChecklist().action).toBe('acquire')
  })

  it('stopped after its add: released at once, since the owner holds them too', () => {
    const { b, acquire } = takingOver()
    b.heartbeat('a', 'private', { held: [held(VIP_A)] })
    b.finish(acquire, 'done')
    expect(b.lastChecklist().action).toBe('release')
    expect(b.lastChecklist().reason).toBe('peer a holds its addresses itself')
  })

  it('the owner claiming its own addresses stops short when the peer is heard holding them', () => {
    const a = node('a')
    a.heartbeat('b', 'private')
    a.heartbeat('b', 'public')
    const claim = a.lastChecklist()
    expect(claim.reason).toBe('own addresses are free')
    a.effects.length = 0
    a.heartbeat('b', 'public', { held: [held(VIP_A)] })
    expect(a.effects).toContainEqual({ kind: 'yield-checklist', owner: 'a' })
    // Before its add: it waits for B to let go, then claims.
    a.finish(claim, 'yielded')
    expect(a.status('a')).toBe('waiting')
    a.heartbeat('b', 'public', { held: [] })
    expect(a.lastChecklist()).not.toBe(claim)
    expect(a.lastChecklist().reason).toBe('own addresses are free')
  })

  it('a claim forced past claimTimeout knew of the holder from the start, and goes on', () => {
    const a = node('a')
    a.heartbeatsUntil('b', LINKS, 100, a.now + 2_150, [held(VIP_A)])
    expect(a.kinds()).toContain('claim-forced')
    expect(a.effects.filter((e) => e.kind === 'yield-checklist')).toEqual([])
  })
})
