import { describe, expect, it } from 'vitest'
import { held, type MachineSimulation, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import type { AdvertisedAddress } from '../model/advertised.js'
import { advertisedHeld } from './advertise.js'
import { advertisedFit } from './fitness.js'
import { guardBrief } from './guard-brief.js'
import type { Timing } from './state.js'

const VIP_A = vip('10.0.0.100')
const LINKS = ['private', 'public']
const WEB_DOWN = { [VIP_A.ip]: ['web'] }

/** Heartbeats from `peer` on every link. */
function hear(sim: MachineSimulation, peer: string, held: AdvertisedAddress[], fit: string[] | null) {
  for (const link of LINKS) sim.heartbeat(peer, link, { held, fit })
}

/** Heartbeats from `peer` every 100 ms for `ms`, advancing the clock. */
function hearFor(
  sim: MachineSimulation,
  ms: number,
  peer: string,
  held: AdvertisedAddress[],
  fit: string[] | null,
) {
  for (let t = 0; t < ms; t += 100) {
    hear(sim, peer, held, fit)
    sim.advance(100)
  }
}

/** Node a, owner of VIP_A, just started: nothing held, nothing heard. */
function freshOwner() {
  return pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }], { fitnessOnWire: true })
}

/** Node a, owner of VIP_A, holding it, with b heard (b says it is fit for VIP_A, or nothing). */
function owner(bFit: string[] | null = [VIP_A.ip], timing: Partial<Timing> = {}) {
  const sim = pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }], { timing, fitnessOnWire: true })
  sim.input({ kind: 'reconciled', held: ['a'] })
  hear(sim, 'b', [], bFit)
  expect(sim.status('a')).toBe('held')
  return sim
}

/** Node b, which takes VIP_A over from a; a heard holding it (fit, in version 2). */
function taker(timing: Partial<Timing> = {}) {
  const sim = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }], { timing, fitnessOnWire: true })
  hear(sim, 'a', [held(VIP_A)], [VIP_A.ip])
  sim.advance(10)
  return sim
}

/** b holding VIP_A after a said it was unfit and let it go. */
function takerHolding(timing: Partial<Timing> = {}) {
  const sim = taker(timing)
  hear(sim, 'a', [], [])
  sim.finish(sim.lastChecklist())
  expect(sim.status('a')).toBe('held')
  return sim
}

describe('fitness: an unfit holder hands over to a fit peer', () => {
  it('the owner, unfit, says so and releases; it claims nothing back while b is fit', () => {
    const sim = owner()
    const fx = sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(sim.kinds()).toEqual(['unfit', 'releasing'])
    expect(sim.events()[0]).toMatchObject({ owner: 'a', addresses: ['10.0.0.100/24'], checks: ['web'] })
    expect(sim.lastChecklist()).toMatchObject({
      action: 'release',
      reason: 'unfit here (web failing); b is fit',
    })
    expect(fx.some((e) => e.kind === 'send-heartbeat')).toBe(true)
    // Its heartbeats say it: VIP_A is no longer in its fit list, and releasing while the release runs.
    expect(advertisedFit(sim.state)).toEqual([])
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A, 'releasing')])
    sim.finish(sim.lastChecklist())
    hearFor(sim, 10_000, 'b', [held(VIP_A)], [VIP_A.ip])
    expect(sim.checklists()).toHaveLength(1)
    expect(sim.kinds()).not.toContain('claim-waiting')
    expect(sim.kinds()).not.toContain('claim-forced')
  })

  it('the peer takes them only once the unfit owner no longer holds them', () => {
    const sim = taker()
    // a is unfit, still releasing: b waits.
    hear(sim, 'a', [held(VIP_A, 'releasing')], [])
    expect(sim.checklists()).toEqual([])
    hear(sim, 'a', [], [])
    expect(sim.lastChecklist()).toMatchObject({
      action: 'acquire',
      owner: 'a',
      reason: 'peer a is unfit for them',
    })
  })

  it('a taker that turns unfit gives them back to a fit owner, whatever the failback policy', () => {
    const sim = takerHolding({ failback: { policy: 'manual', stableForMs: 1_000, claimTimeoutMs: 30_000 } })
    hearFor(sim, 5_000, 'a', [], [VIP_A.ip])
    expect(sim.checklists()).toHaveLength(1)
    expect(sim.kinds()).toContain('failback-pending')
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A, 'kept')])
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(sim.lastChecklist()).toMatchObject({
      action: 'release',
      reason: 'unfit here (web failing); a is fit',
    })
  })

  it('a peer that says nothing about fitness (version 1, not the owner) is no hand-over target', () => {
    const sim = owner(null)
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(sim.kinds()).toEqual(['unfit'])
    expect(sim.checklists()).toEqual([])
    // b learns a now speaks of fitness and answers in version 2: now it is a target.
    hear(sim, 'b', [], [VIP_A.ip])
    expect(sim.lastChecklist()).toMatchObject({
      action: 'release',
      reason: 'unfit here (web failing); b is fit',
    })
  })

  it('a peer in maintenance or starting is no hand-over target', () => {
    const sim = owner()
    for (const link of LINKS) sim.heartbeat('b', link, { state: 'maintenance', fit: [VIP_A.ip] })
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(sim.checklists()).toEqual([])
    expect(sim.kinds()).toContain('no-node-fit')
  })
})

describe('fitness: an unfit node never takes over', () => {
  it('b, unfit, leaves a lost a unheld, says so once, and takes over as soon as it is fit', () => {
    const sim = taker()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    sim.advance(1_000)
    expect(sim.kinds()).toEqual(['unfit', 'heartbeat-lost', 'heartbeat-lost', 'peer-lost', 'no-node-fit'])
    expect(sim.events().at(-1)).toMatchObject({ action: 'unheld', reason: 'web failing' })
    sim.advance(5_000)
    expect(sim.checklists()).toEqual([])
    expect(sim.kinds().filter((k) => k === 'no-node-fit')).toHaveLength(1)
    sim.input({ kind: 'fitness', failing: {} })
    expect(sim.kinds().slice(-2)).toEqual(['fit', 'acquiring'])
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'peer a lost' })
  })

  it('b does not take from an owner that says it is unfit while b is unfit too', () => {
    const sim = taker()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    hearFor(sim, 1_000, 'a', [], [])
    expect(sim.checklists()).toEqual([])
  })

  it('its own addresses: unfit at start with a fit peer, the owner claims nothing and the peer holds them', () => {
    const sim = freshOwner()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    hearFor(sim, 2_000, 'b', [], [VIP_A.ip])
    expect(sim.checklists()).toEqual([])
  })
})

describe('fitness: when no live node is fit', () => {
  it('the holder keeps them and says so once; with onAllUnfit release it lets them go', () => {
    const keep = owner([])
    keep.input({ kind: 'fitness', failing: WEB_DOWN })
    hearFor(keep, 5_000, 'b', [], [])
    keep.advance(5_000)
    expect(keep.checklists()).toEqual([])
    expect(keep.kinds().filter((k) => k === 'no-node-fit')).toHaveLength(1)
    expect(keep.events().find((e) => e.kind === 'no-node-fit')).toMatchObject({
      owner: 'a',
      addresses: ['10.0.0.100/24'],
      action: 'kept',
      reason: 'web failing',
    })

    const release = owner([], { onAllUnfit: 'release' })
    release.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(release.lastChecklist()).toMatchObject({
      action: 'release',
      reason: 'unfit here (web failing) and no node is fit (onAllUnfit: release)',
    })
    expect(release.events().find((e) => e.kind === 'no-node-fit')).toMatchObject({ action: 'released' })
  })

  it('said again only after a fit node was seen in between', () => {
    const sim = owner([])
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    sim.input({ kind: 'fitness', failing: {} })
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(sim.kinds()).toEqual(['unfit', 'no-node-fit', 'fit', 'unfit', 'no-node-fit'])
  })

  it('only the holder says it, not a peer that does not hold them', () => {
    const sim = taker()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    hearFor(sim, 1_000, 'a', [held(VIP_A)], [])
    expect(sim.kinds()).toEqual(['unfit'])
  })

  it('the owner, unfit, never forces a claim over an unfit holder, and claims nothing once it falls silent', () => {
    const sim = freshOwner()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    for (let t = 0; t < 50; t++) {
      hear(sim, 'b', [held(VIP_A)], [])
      sim.advance(100)
    }
    expect(sim.checklists()).toEqual([])
    expect(sim.kinds()).not.toContain('claim-forced')
    // b falls silent (dead, or this node stalled: it cannot tell): still nothing, said once.
    sim.advance(2_000)
    expect(sim.checklists()).toEqual([])
    expect(sim.events().filter((e) => e.kind === 'no-node-fit')).toEqual([
      expect.objectContaining({ owner: 'a', action: 'unheld' }),
    ])
    // Fit again, with nobody holding them: it claims them.
    sim.input({ kind: 'fitness', failing: {} })
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
  })
})

describe('fitness: an owner fit again beside a peer that was unfit too', () => {
  // The simulator's two-holders-random-21956: both turned fit in the same instant; each claimed its
  // own free address and took the other's on its last "unfit": two holders of each.
  function bothUnfit() {
    const sim = freshOwner()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    hearFor(sim, 2_000, 'b', [], [])
    expect(sim.checklists()).toEqual([])
    sim.input({ kind: 'fitness', failing: {} })
    return sim
  }

  it('does not claim at once: the peer may have turned fit too and be taking them', () => {
    const sim = bothUnfit()
    expect(sim.checklists()).toEqual([])
    // It was: b's heartbeat says it is acquiring them. a waits for them.
    hearFor(sim, 1_000, 'b', [held(VIP_A)], [VIP_A.ip])
    expect(sim.checklists()).toEqual([])
    expect(sim.kinds()).toContain('claim-waiting')
  })

  it('claims them at once when the peer says, in its orders, that it does not take them', () => {
    const sim = freshOwner()
    const beat = (fit: string[]) => {
      for (const link of LINKS)
        sim.input({
          kind: 'heartbeat',
          peer: 'b',
          link,
          incarnation: 1,
          restarted: false,
          sentAt: sim.now,
          state: 'healthy',
          held: [],
          fit,
          // b takes over nobody's addresses: its own order lists a as its taker, nothing else.
          orders: [{ owner: 'b', takers: ['a'], addresses: ['10.0.0.110'] }],
        })
    }
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    for (let t = 0; t < 2_000; t += 100) {
      beat([])
      sim.advance(100)
    }
    sim.input({ kind: 'fitness', failing: {} })
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
  })

  it('claims them deadAfter later when the peer takes nothing', () => {
    const sim = bothUnfit()
    const deadAfter = sim.state.timing.deadAfterMs
    hearFor(sim, deadAfter - 100, 'b', [], [])
    expect(sim.checklists()).toEqual([])
    hearFor(sim, 200, 'b', [], [])
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
  })
})

describe('fitness: a hand-over is answered before the owner claims again', () => {
  // The simulator's two-holders-defaults-1116: a's check failed, a handed VIP_A to b and passed again
  // 100 ms later, before b's heartbeat saying it was acquiring came back; a claimed: two holders.
  function fitAgainAtOnce() {
    const sim = owner()
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    sim.finish(sim.lastChecklist())
    sim.advance(50)
    // Sent before b heard the release: b holds nothing yet.
    hear(sim, 'b', [], [VIP_A.ip])
    sim.input({ kind: 'fitness', failing: {} })
    return sim
  }

  it('the owner, fit again at once, claims nothing until b has had time to answer', () => {
    const sim = fitAgainAtOnce()
    expect(sim.checklists()).toHaveLength(1)
    hear(sim, 'b', [held(VIP_A)], [VIP_A.ip])
    expect(sim.kinds()).toContain('claim-waiting')
    expect(sim.checklists()).toHaveLength(1)
  })

  it('the owner, unfit as b gave them back and fit again at once, waits for b too', () => {
    // two-holders-defaults-3617: b gave them back to a, fit; a turned unfit before claiming them, and
    // b took them again; a, fit again, heard b hold them (old news), then b let them go (its give-back,
    // older than its new acquire), and claimed them: two holders.
    const sim = fitAgainAtOnce()
    hear(sim, 'b', [held(VIP_A)], [VIP_A.ip])
    expect(sim.kinds()).toContain('claim-waiting')
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    sim.advance(50)
    sim.input({ kind: 'fitness', failing: {} })
    hear(sim, 'b', [held(VIP_A)], [VIP_A.ip])
    hear(sim, 'b', [], [VIP_A.ip])
    expect(sim.checklists()).toHaveLength(1)
    hearFor(sim, 300, 'b', [], [VIP_A.ip])
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
  })

  it('b did not take them: the owner claims them deadAfter after its release ended', () => {
    const sim = fitAgainAtOnce()
    hearFor(sim, 200, 'b', [], [VIP_A.ip])
    expect(sim.checklists()).toHaveLength(1)
    hearFor(sim, 100, 'b', [], [VIP_A.ip])
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
  })
})

describe('fitness and failback', () => {
  it('a late heartbeat older than the one that said fit does not make b take them again', () => {
    // two-holders-defaults-2171: a's beat (unfit) and its verdict's (fit) left in one millisecond and
    // arrived the other way round; b, which had given them back, took them again from a holding them.
    const sim = takerHolding()
    sim.advance(100)
    const t = sim.now
    for (const link of LINKS) sim.heartbeat('a', link, { held: [], fit: [VIP_A.ip], sentAt: t + 1 })
    // Given back deadAfter after a said it is fit (a's own wait for b's answer runs out then).
    hearFor(sim, 300, 'a', [], [VIP_A.ip])
    expect(sim.lastChecklist()).toMatchObject({ action: 'release', reason: 'peer a returned' })
    sim.finish(sim.lastChecklist())
    sim.heartbeat('a', 'public', { held: [], fit: [], sentAt: t })
    expect(sim.checklists()).toHaveLength(2)
  })

  it('auto: the taker gives them back deadAfter after the owner says it is fit, not before', () => {
    const sim = takerHolding()
    hearFor(sim, 5_000, 'a', [], [])
    expect(sim.checklists()).toHaveLength(1)
    // Not due while a is unfit: plain held (a claims nothing anyway).
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A)])
    // Fit: due (releasing, so a waits), but not before a's own wait for b's answer (deadAfter, 300 ms
    // here) has run out: a release sooner would leave them unheld until then.
    hearFor(sim, 200, 'a', [], [VIP_A.ip])
    expect(sim.checklists()).toHaveLength(1)
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A, 'releasing')])
    hearFor(sim, 200, 'a', [], [VIP_A.ip])
    expect(sim.lastChecklist()).toMatchObject({ action: 'release', reason: 'peer a returned' })
    expect(sim.now - (sim.state.peers.a?.fitSince ?? 0)).toBeGreaterThanOrEqual(300)
  })

  it('stable: stableFor counts from when the owner turned fit, so a flapping service does not bounce them', () => {
    const sim = takerHolding({ failback: { policy: 'stable', stableForMs: 1_000, claimTimeoutMs: 30_000 } })
    // a has been heard all along; it flaps fit and unfit every 400 ms: never fit for 1 s.
    for (let i = 0; i < 10; i++) {
      for (let t = 0; t < 4; t++) {
        hear(sim, 'a', [], i % 2 === 0 ? [VIP_A.ip] : [])
        sim.advance(100)
      }
    }
    expect(sim.checklists()).toHaveLength(1)
    for (let t = 0; t < 9; t++) {
      hear(sim, 'a', [], [VIP_A.ip])
      sim.advance(100)
    }
    expect(sim.checklists()).toHaveLength(1)
    hear(sim, 'a', [], [VIP_A.ip])
    sim.advance(100)
    expect(sim.lastChecklist()).toMatchObject({ action: 'release', reason: 'peer a healthy for 1000ms' })
  })
})

describe('fitness on the wire', () => {
  it('a node without checks says nothing (version 1) until something is unfit or a peer speaks of it', () => {
    const quiet = () => pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }])
    const sim = quiet()
    hear(sim, 'b', [], null)
    sim.advance(1_000)
    expect(advertisedFit(sim.state)).toBeNull()
    hear(sim, 'b', [], [])
    expect(advertisedFit(sim.state)).toEqual([VIP_A.ip])

    // A carrier lost: said while it lasts (version 2), then version 1 again.
    const cut = quiet()
    cut.input({ kind: 'carrier', interface: 'eth0', up: false })
    expect(advertisedFit(cut.state)).toEqual([])
    cut.input({ kind: 'carrier', interface: 'eth0', up: true })
    expect(advertisedFit(cut.state)).toBeNull()
  })

  it('a peer taken for unfit is no longer handed its addresses by the guard', () => {
    const sim = owner([VIP_A.ip])
    expect(guardBrief(sim.state).handOver).toEqual([VIP_A])
    hear(sim, 'b', [], [])
    expect(guardBrief(sim.state)).toEqual({ handOver: [], keep: [VIP_A] })
  })
})
