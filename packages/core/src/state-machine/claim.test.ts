import { describe, expect, it } from 'vitest'
import { held, type MachineSimulation, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import type { AdvertisedAddress, NodeStateCode } from '../model/advertised.js'
import { advertisedHeld } from './advertise.js'

/**
 * The returning owner's forced claim (issue 16's reproductions, on the pure machine). The claim
 * clock runs only while the holder is heard plainly holding the address; the forced claim never
 * lands over a holder that is releasing, keeps the address, or is in maintenance.
 */
const VIP_A = vip('10.0.0.100')
const LINKS = ['private', 'public']
const CLAIM_MS = 2_000

/** a, back from a restart, owning VIP_A; b holds it. a hears b from t=1000 on. */
function returningOwner() {
  const sim = pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }], {
    timing: { failback: { policy: 'auto', stableForMs: 1_000, claimTimeoutMs: CLAIM_MS } },
  })
  sim.input({ kind: 'listening' })
  return sim
}

/** b's heartbeats on both links every 100 ms until `until`, advertising `hold` and `state`. */
function b(
  sim: MachineSimulation,
  until: number,
  hold: AdvertisedAddress[],
  state: NodeStateCode = 'healthy',
) {
  while (sim.now + 100 <= until) {
    sim.advance(100)
    for (const link of LINKS) sim.heartbeat('b', link, { held: hold, state })
  }
  sim.advanceTo(until)
}

const forced = (sim: MachineSimulation) => sim.events().filter((e) => e.kind === 'claim-forced')

describe('the forced claim', () => {
  it('comes after claimTimeout of a holder plainly holding the address: the holder ignores us', () => {
    const sim = returningOwner()
    b(sim, 1_000 + CLAIM_MS - 100, [held(VIP_A)])
    expect(sim.kinds()).toContain('claim-waiting')
    expect(forced(sim)).toEqual([])
    b(sim, 1_000 + CLAIM_MS + 200, [held(VIP_A)])
    expect(forced(sim)).toHaveLength(1)
    expect(sim.status('a')).toBe('acquiring')
  })

  it('never lands while the holder is releasing, however long its release runs (reproduction 1)', () => {
    const sim = returningOwner()
    b(sim, 2_400, [held(VIP_A)])
    // b's stable timer ran out a moment before a's claim clock: it is releasing (a hook is slow).
    b(sim, 9_000, [held(VIP_A, 'releasing')])
    expect(forced(sim)).toEqual([])
    expect(sim.status('a')).toBe('waiting')
    b(sim, 9_100, [])
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
    expect(forced(sim)).toEqual([])
  })

  it('waits a whole claimTimeout after the holder leaves maintenance; `kept` stops the clock (reproduction 2)', () => {
    const sim = returningOwner()
    b(sim, 1_600, [held(VIP_A)])
    b(sim, 4_200, [held(VIP_A, 'kept')], 'maintenance')
    // Maintenance off: b says `held` again, its own failback is about to start.
    b(sim, 4_200 + CLAIM_MS - 100, [held(VIP_A)])
    expect(forced(sim)).toEqual([])
    b(sim, 4_200 + CLAIM_MS + 200, [held(VIP_A)])
    expect(forced(sim)).toHaveLength(1)
  })

  it('does not count time a holder in maintenance still says `held`', () => {
    const sim = returningOwner()
    b(sim, 6_000, [held(VIP_A)], 'maintenance')
    expect(forced(sim)).toEqual([])
  })

  it('never lands when an operator releases a kept address: kept, then releasing (reproduction 3)', () => {
    const sim = returningOwner()
    b(sim, 6_800, [held(VIP_A, 'kept')])
    // `ipfo release a` on b: its release starts, and a must not force the same millisecond.
    b(sim, 6_900, [held(VIP_A, 'releasing')])
    expect(forced(sim)).toEqual([])
    b(sim, 7_000, [])
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'own addresses are free' })
  })

  it("starts afresh after the owner's own maintenance (reproduction 4)", () => {
    const sim = returningOwner()
    b(sim, 1_100, [held(VIP_A)])
    sim.input({ kind: 'maintenance', on: true })
    b(sim, 4_000, [held(VIP_A)])
    sim.input({ kind: 'maintenance', on: false })
    b(sim, 4_000 + CLAIM_MS - 100, [held(VIP_A)])
    expect(forced(sim)).toEqual([])
    b(sim, 4_000 + CLAIM_MS + 200, [held(VIP_A)])
    expect(forced(sim)).toHaveLength(1)
  })
})

describe("the holder's side: it says whether its give-back is due", () => {
  /** b, having taken over a's VIP_A after a fell silent at t=1000. */
  function holder(policy: 'auto' | 'stable' | 'manual') {
    const sim = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }], {
      timing: { failback: { policy, stableForMs: 1_000, claimTimeoutMs: CLAIM_MS } },
    })
    for (const link of LINKS) sim.heartbeat('a', link)
    sim.advance(300)
    sim.finish(sim.lastChecklist())
    expect(sim.status('a')).toBe('held')
    return sim
  }
  const a = (sim: MachineSimulation, ms: number) => sim.heartbeatsUntil('a', LINKS, 100, sim.now + ms)
  const says = (sim: MachineSimulation) => advertisedHeld(sim.state).map((h) => h.status)

  it('stable: `held` while the owner is silent, `releasing` from the moment it is heard: its give-back is due', () => {
    const sim = holder('stable')
    expect(says(sim)).toEqual(['held'])
    a(sim, 500)
    expect(says(sim)).toEqual(['releasing'])
    // A silence only b saw (a one-way cut): a is lost again, b's stable timer starts afresh.
    sim.advance(400)
    expect(says(sim)).toEqual(['held'])
    a(sim, 900)
    expect(says(sim)).toEqual(['releasing'])
    a(sim, 300)
    expect(sim.status('a')).toBe('releasing')
    expect(says(sim)).toEqual(['releasing'])
  })

  it('a refused release makes it plainly `held` again: the owner may force its claim after claimTimeout', () => {
    const sim = holder('stable')
    a(sim, 1_100)
    expect(sim.status('a')).toBe('releasing')
    sim.finish(sim.lastChecklist(), 'notify-only')
    expect(sim.status('a')).toBe('held')
    expect(says(sim)).toEqual(['held'])
  })

  it('manual policy, an operator takeover, maintenance: `kept`, never a give-back said to be due', () => {
    const manual = holder('manual')
    a(manual, 500)
    expect(says(manual)).toEqual(['kept'])
    const maintained = holder('stable')
    maintained.input({ kind: 'maintenance', on: true })
    a(maintained, 500)
    expect(says(maintained)).toEqual(['kept'])
  })
})

describe("the owner's side: a give-back said to be due stops the claim clock", () => {
  it('never forces while the holder says its give-back is due, however long a silence only the holder saw keeps restarting its timer', () => {
    const sim = returningOwner()
    b(sim, 1_000 + 5 * CLAIM_MS, [held(VIP_A, 'releasing')])
    expect(forced(sim)).toEqual([])
    expect(sim.status('a')).toBe('waiting')
    // The holder's release is then refused: plainly held, the clock runs from here.
    const from = sim.now
    b(sim, from + CLAIM_MS - 100, [held(VIP_A)])
    expect(forced(sim)).toEqual([])
    b(sim, from + CLAIM_MS + 200, [held(VIP_A)])
    expect(forced(sim)).toHaveLength(1)
  })
})
