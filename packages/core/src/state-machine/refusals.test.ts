import { describe, expect, it } from 'vitest'
import { held, type MachineSimulation, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import type { AdvertisedAddress } from '../model/advertised.js'
import { advertisedHeld } from './advertise.js'
import { NOTIFY_ONLY_RETRY_MS } from './transition.js'

/**
 * Checklists of a peer's addresses that Test refused ("notification only"): when they are asked
 * again. Never at every evaluation or heartbeat (Test and its notification would run in a loop); a
 * give-back to a live owner once more before the owner's forced claim, and at once when the owner
 * forces it. The simulator's seeds 6148 and 677133335 (test/sim/regressions) showed them.
 */
const VIP_A = vip('10.0.0.100')
const LINKS = ['private', 'public']
const CLAIM_MS = 20_000
const WEB_DOWN = { [VIP_A.ip]: ['web'] }

/** b, having taken over a's VIP_A after a fell silent. */
function holder(timing: { onAllUnfit?: 'keep' | 'release' } = {}) {
  const sim = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }], {
    timing: { ...timing, failback: { policy: 'auto', stableForMs: 1_000, claimTimeoutMs: CLAIM_MS } },
  })
  for (const link of LINKS) sim.heartbeat('a', link)
  sim.advance(300)
  sim.finish(sim.lastChecklist())
  expect(sim.status('a')).toBe('held')
  return sim
}

/** a's heartbeats every 100 ms for `ms`, saying it holds `hold`. */
const a = (sim: MachineSimulation, ms: number, hold: AdvertisedAddress[] = []) =>
  sim.heartbeatsUntil('a', LINKS, 100, sim.now + ms, hold)
const releases = (sim: MachineSimulation) => sim.checklists().filter((c) => c.action === 'release')
const says = (sim: MachineSimulation) => advertisedHeld(sim.state).map((h) => h.status)

describe('a refused release', () => {
  it('with the owner lost, is asked again after NOTIFY_ONLY_RETRY_MS, not at every evaluation', () => {
    const sim = holder({ onAllUnfit: 'release' })
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(releases(sim)).toHaveLength(1)
    sim.finish(sim.lastChecklist(), 'notify-only')
    sim.advance(NOTIFY_ONLY_RETRY_MS - 100)
    expect(releases(sim)).toHaveLength(1)
    expect(sim.status('a')).toBe('held')
    sim.advance(200)
    expect(releases(sim)).toHaveLength(2)
  })

  it("to a live owner, is asked again once, halfway through the owner's claim timeout", () => {
    const sim = holder()
    a(sim, 200)
    expect(releases(sim)).toHaveLength(1)
    sim.finish(sim.lastChecklist(), 'notify-only')
    expect(says(sim)).toEqual(['held'])
    const refusedAt = sim.now
    a(sim, CLAIM_MS / 2 - 200)
    expect(releases(sim)).toHaveLength(1)
    a(sim, 400)
    expect(releases(sim)).toHaveLength(2)
    expect(sim.lastChecklist()).toMatchObject({ reason: 'peer a returned' })
    expect(sim.now - refusedAt).toBeLessThan(CLAIM_MS)
    // Refused again: nothing more until the owner forces its claim, however long it waits.
    sim.finish(sim.lastChecklist(), 'notify-only')
    a(sim, 5 * CLAIM_MS)
    expect(releases(sim)).toHaveLength(2)
    expect(says(sim)).toEqual(['held'])
  })

  it('is asked again at once when the owner forces its claim; refused then too, after retryAfter', () => {
    const sim = holder()
    a(sim, 200)
    sim.finish(sim.lastChecklist(), 'notify-only')
    a(sim, CLAIM_MS / 2 + 200)
    sim.finish(sim.lastChecklist(), 'notify-only')
    a(sim, 2 * CLAIM_MS)
    expect(releases(sim)).toHaveLength(2)
    // a forced its claim: it holds VIP_A itself.
    a(sim, 100, [held(VIP_A)])
    expect(releases(sim)).toHaveLength(3)
    expect(sim.lastChecklist()).toMatchObject({ reason: 'peer a holds its addresses itself' })
    sim.finish(sim.lastChecklist(), 'notify-only')
    const retryAfter = sim.state.timing.retryAfterMs
    a(sim, retryAfter - 200, [held(VIP_A)])
    expect(releases(sim)).toHaveLength(3)
    a(sim, 400, [held(VIP_A)])
    expect(releases(sim)).toHaveLength(4)
  })

  it('asks again from the start once the owner was lost and is back', () => {
    const sim = holder()
    a(sim, 200)
    sim.finish(sim.lastChecklist(), 'notify-only')
    a(sim, CLAIM_MS / 2 + 200)
    sim.finish(sim.lastChecklist(), 'notify-only')
    expect(releases(sim)).toHaveLength(2)
    // a falls silent (lost), then returns: its failback starts afresh, and a refusal is asked again.
    sim.advance(10_000)
    expect(sim.state.peers.a?.lost).toBe(true)
    a(sim, 200)
    expect(releases(sim)).toHaveLength(3)
    sim.finish(sim.lastChecklist(), 'notify-only')
    a(sim, CLAIM_MS / 2 + 200)
    expect(releases(sim)).toHaveLength(4)
  })
})

describe('a refused takeover from an owner that said it was unfit', () => {
  it('is asked again after NOTIFY_ONLY_RETRY_MS, not each time the owner is heard', () => {
    const sim = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }], { fitnessOnWire: true })
    const hear = (hold: AdvertisedAddress[], fit: string[]) => {
      for (const link of LINKS) sim.heartbeat('a', link, { held: hold, fit })
    }
    hear([held(VIP_A)], [VIP_A.ip])
    sim.advance(100)
    // a says it is unfit and lets VIP_A go: b takes it; a is heard while b's Test runs.
    hear([], [])
    const takeover = sim.lastChecklist()
    expect(takeover).toMatchObject({ action: 'acquire', reason: 'peer a is unfit for them' })
    sim.advance(40)
    hear([], [])
    sim.finish(takeover, 'notify-only')
    for (let t = 0; t < NOTIFY_ONLY_RETRY_MS - 200; t += 100) {
      sim.advance(100)
      hear([], [])
    }
    expect(sim.checklists()).toHaveLength(1)
    for (let t = 0; t < 400; t += 100) {
      sim.advance(100)
      hear([], [])
    }
    expect(sim.checklists()).toHaveLength(2)
  })
})

describe('with an owner that says it is unfit', () => {
  /** b, holding VIP_A: a said it was unfit and let it go. */
  function takerOfUnfitOwner(timing: { onAllUnfit?: 'keep' | 'release' } = {}) {
    const sim = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }], { timing, fitnessOnWire: true })
    for (const link of LINKS) sim.heartbeat('a', link, { held: [held(VIP_A)], fit: [VIP_A.ip] })
    sim.advance(100)
    for (const link of LINKS) sim.heartbeat('a', link, { held: [], fit: [] })
    return sim
  }
  const unfitA = (sim: MachineSimulation, ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      sim.advance(100)
      for (const link of LINKS) sim.heartbeat('a', link, { held: [], fit: [] })
    }
  }

  it('a refused hand-over (no owner to give back to, no forced claim to come) is asked again after a minute', () => {
    const sim = takerOfUnfitOwner({ onAllUnfit: 'release' })
    sim.finish(sim.lastChecklist())
    expect(sim.status('a')).toBe('held')
    sim.input({ kind: 'fitness', failing: WEB_DOWN })
    expect(releases(sim)).toHaveLength(1)
    sim.finish(sim.lastChecklist(), 'notify-only')
    unfitA(sim, NOTIFY_ONLY_RETRY_MS - 200)
    expect(releases(sim)).toHaveLength(1)
    unfitA(sim, 400)
    expect(releases(sim)).toHaveLength(2)
  })

  it('a refused takeover is asked again at once when the owner was lost while Test ran', () => {
    const sim = takerOfUnfitOwner()
    const takeover = sim.lastChecklist()
    expect(takeover).toMatchObject({ action: 'acquire', reason: 'peer a is unfit for them' })
    // a dies while b's Test runs.
    sim.advance(sim.state.timing.deadAfterMs + 100)
    expect(sim.state.peers.a?.lost).toBe(true)
    sim.finish(takeover, 'notify-only')
    expect(sim.checklists()).toHaveLength(2)
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'peer a lost' })
  })
})
