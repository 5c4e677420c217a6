import { describe, expect, it } from 'vitest'
import { held, MachineSimulation, pairMachine, testTiming, vip } from '../../test/fakes/machine-simulation.js'
import type { AdvertisedAddress } from '../model/advertised.js'
import { advertisedHeld } from './advertise.js'
import { nextDeadline } from './deadline.js'
import { takeoverRefusal } from './operator.js'

const VIP_A = vip('10.0.0.100', 'eth0')
const VIP_B = vip('10.0.0.101', 'eth0')
const LINKS = ['private', 'public']

/** Node a owning VIP_A on eth0 (holding it), with b as its peer taking it over; a takes VIP_B. */
function holdingOwner() {
  const sim = pairMachine('a', [
    { owner: 'a', addresses: [VIP_A] },
    { owner: 'b', addresses: [VIP_B] },
  ])
  sim.input({ kind: 'reconciled', held: ['a'] })
  sim.heartbeat('b', 'private', { held: [held(VIP_B)] })
  sim.heartbeat('b', 'public', { held: [held(VIP_B)] })
  expect(sim.status('a')).toBe('held')
  return sim
}

/** Node b, taking a's VIP_A over, before it has heard a. */
const takerOfA = () => pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }])

const carrier = (sim: MachineSimulation, up: boolean, iface = 'eth0') =>
  sim.input({ kind: 'carrier', interface: iface, up })

describe('carrier', () => {
  it('a lost carrier releases the addresses on it, and nothing is claimed there while it is out', () => {
    const sim = holdingOwner()
    carrier(sim, false)
    expect(sim.kinds()).toEqual(['carrier-lost', 'releasing'])
    expect(sim.events()[0]).toMatchObject({
      interface: 'eth0',
      addresses: ['10.0.0.100/24', '10.0.0.101/24'],
    })
    expect(sim.lastChecklist()).toMatchObject({
      action: 'release',
      owner: 'a',
      reason: 'eth0 lost its carrier',
    })
    sim.finish(sim.lastChecklist())
    expect(advertisedHeld(sim.state)).toEqual([])
    // The cable is out: b falls silent on every link, and is lost. Neither address is taken.
    sim.advance(2_000)
    expect(sim.kinds()).toContain('peer-lost')
    expect(sim.checklists()).toHaveLength(1)
    expect(sim.status('a')).toBe('idle')
    expect(sim.status('b')).toBe('idle')
    expect(takeoverRefusal(sim.state, 'a')).toBe(
      'eth0 has no carrier: connect it (see "ip link show eth0") first',
    )
  })

  it('back, it says so at once and waits for the peer that took over; it claims once that peer lets go', () => {
    const sim = holdingOwner()
    carrier(sim, false)
    sim.finish(sim.lastChecklist())
    sim.advance(1_000)
    const effects = carrier(sim, true)
    expect(effects.map((e) => (e.kind === 'emit' ? e.event.kind : e.kind))).toEqual([
      'carrier-restored',
      'send-heartbeat',
    ])
    // Within carrierSettle of the return, b unheard: no claim, even though b was lost.
    sim.advance(700)
    expect(sim.checklists()).toHaveLength(1)
    // b took VIP_A over while a was cut off: a waits for it.
    sim.heartbeat('b', 'public', { held: [held(VIP_B), held(VIP_A, 'releasing')] })
    sim.advance(50)
    expect(sim.checklists()).toHaveLength(1)
    expect(sim.kinds()).toContain('claim-waiting')
    sim.heartbeat('b', 'public', { held: [held(VIP_B)] })
    expect(sim.lastChecklist()).toMatchObject({
      action: 'acquire',
      owner: 'a',
      reason: 'own addresses are free',
    })
    expect(sim.checklists()).toHaveLength(2)
  })

  // Seen with three nodes in namespaces (cli test/trio-soak-netns.test.ts, 1 run in 6): a's and b's
  // cables came back together after c had held a's VIP; c gave it to b, b heard a's first heartbeats
  // (private link up, pub0's carrier not yet seen: "unfit") and acquired it, "peer a is unfit for
  // them"; a, its carrier back a moment later, found it free and claimed it too: two holders for
  // 15 ms. The first words of an owner back from a silence are not a hand-over.
  it('a taker does not take from an owner whose first words after a silence say "unfit"; from one long heard, at once', () => {
    const b = takerOfA()
    const unfitA = { fit: [] as string[] }
    for (const link of LINKS) b.heartbeat('a', link, unfitA)
    b.advance(testTiming().deadAfterMs - 10)
    for (const link of LINKS) b.heartbeat('a', link, unfitA)
    expect(b.checklists()).toHaveLength(0)
    // a is fit now and claims its own: b never started an acquire.
    for (let i = 0; i < 10; i++) {
      for (const link of LINKS) b.heartbeat('a', link, { fit: [VIP_A.ip], held: [held(VIP_A)] })
      b.advance(100)
    }
    expect(b.checklists()).toHaveLength(0)
    // Long heard, a turns unfit and lets go: b takes them at once.
    for (const link of LINKS) b.heartbeat('a', link, unfitA)
    expect(b.lastChecklist()).toMatchObject({ action: 'acquire', reason: 'peer a is unfit for them' })
  })

  it('nothing due is no deadline, never Infinity (a timer of Infinity fires every millisecond)', () => {
    const b = takerOfA()
    b.advance(1_000) // a never heard: lost; b takes its address over
    expect(b.status('a')).toBe('acquiring')
    const next = nextDeadline(b.state, b.now)
    expect(next === undefined || Number.isFinite(next)).toBe(true)
  })

  it('an owner back from a silence that stays unfit is taken over deadAfter after it was first heard', () => {
    const b = takerOfA()
    const first = b.now
    for (let i = 0; i < 3; i++) {
      for (const link of LINKS) b.heartbeat('a', link, { fit: [] })
      b.advance(99)
    }
    expect(b.checklists()).toHaveLength(0)
    b.advanceTo(first + testTiming().deadAfterMs)
    expect(b.checklists().map((c) => c.reason)).toEqual(['peer a is unfit for them'])
  })

  it('back after a busy moment: a burst of queued heartbeats is judged on the newest, not the oldest', () => {
    // Seen in the failover benchmark: a's loop stalled just after its cable came back; b had let the
    // address go, then, a silent for deadAfter, taken it again. Both words waited in a's sockets.
    const burst = (sim: MachineSimulation) => {
      const beat = (link: string, sentAt: number, held: AdvertisedAddress[]) => ({
        peer: 'b',
        link,
        incarnation: 1,
        restarted: false,
        sentAt,
        state: 'healthy' as const,
        held,
        fit: null,
      })
      return [
        beat('public', sim.now - 20, [held(VIP_B)]),
        beat('public', sim.now - 5, [held(VIP_B), held(VIP_A)]),
      ]
    }
    const cutOff = () => {
      const sim = holdingOwner()
      carrier(sim, false)
      sim.finish(sim.lastChecklist())
      sim.advance(1_000)
      carrier(sim, true)
      sim.advance(50)
      return sim
    }

    const together = cutOff()
    together.input({ kind: 'heartbeats', beats: burst(together) })
    expect(together.checklists()).toHaveLength(1)
    expect(together.kinds()).toContain('claim-waiting')

    // One at a time, the oldest alone says the address is free: the claim a burst must not make.
    const oneByOne = cutOff()
    for (const beat of burst(oneByOne)) oneByOne.input({ kind: 'heartbeat', ...beat })
    expect(oneByOne.checklists().map((c) => c.action)).toEqual(['release', 'acquire'])
  })

  it('back and no peer heard within carrierSettle (longer than deadAfter): the peer is gone, and the addresses are claimed', () => {
    const sim = holdingOwner()
    carrier(sim, false)
    sim.finish(sim.lastChecklist())
    sim.advance(1_000)
    carrier(sim, true)
    expect(nextDeadline(sim.state, sim.now)).toBe(sim.now + 800)
    // Past deadAfter (300 ms) but within carrierSettle: a link that has just come back may not pass
    // traffic yet (ARP still unresolved, a switch port still learning), so silence proves nothing.
    sim.advance(799)
    expect(sim.checklists()).toHaveLength(1)
    sim.advance(1)
    expect(
      sim
        .checklists()
        .slice(1)
        .map((c) => [c.action, c.owner]),
    ).toEqual([
      ['acquire', 'a'],
      ['acquire', 'b'],
    ])
  })

  it('a claim waiting on a holder starts its claim timeout afresh after the carrier returns', () => {
    const sim = holdingOwner()
    carrier(sim, false)
    sim.finish(sim.lastChecklist())
    sim.advance(50)
    carrier(sim, true)
    sim.heartbeatsUntil('b', LINKS, 100, sim.now + 1_500, [held(VIP_B), held(VIP_A)])
    expect(sim.kinds()).toContain('claim-waiting')
    carrier(sim, false)
    sim.advance(1_000)
    carrier(sim, true)
    // 2.5 s since the claim began waiting, past claimTimeout (2 s), but only 1 s with a carrier.
    sim.heartbeatsUntil('b', LINKS, 100, sim.now + 1_000, [held(VIP_B), held(VIP_A)])
    expect(sim.kinds()).not.toContain('claim-forced')
    sim.heartbeatsUntil('b', LINKS, 100, sim.now + 1_100, [held(VIP_B), held(VIP_A)])
    expect(sim.kinds()).toContain('claim-forced')
  })

  it('a backup without carrier does not take over a lost peer; a carrier on another interface does not matter', () => {
    const sim = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }])
    sim.heartbeat('a', 'private')
    sim.heartbeat('a', 'public')
    carrier(sim, false, 'eth1')
    carrier(sim, false)
    sim.advance(1_000)
    expect(sim.kinds()).toEqual([
      'carrier-lost',
      'carrier-lost',
      'heartbeat-lost',
      'heartbeat-lost',
      'peer-lost',
      'no-node-fit',
    ])
    expect(sim.events().at(-1)).toMatchObject({ action: 'unheld', reason: 'eth0 without carrier' })
    expect(sim.checklists()).toEqual([])
    carrier(sim, true)
    sim.advance(799)
    expect(sim.checklists()).toEqual([])
    sim.advance(1)
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a', reason: 'peer a lost' })
  })

  it('an interface down before the agent listens: reported, and its addresses are not claimed at start', () => {
    const sim = new MachineSimulation({
      self: 'a',
      timing: testTiming(),
      linkNames: LINKS,
      peers: ['b'],
      resources: [{ owner: 'a', addresses: [VIP_A] }],
      releaseOnStop: true,
      listening: false,
    })
    carrier(sim, false)
    sim.input({ kind: 'listening' })
    sim.advance(1_000)
    expect(sim.kinds()).toContain('carrier-lost')
    expect(sim.checklists()).toEqual([])
    // The same report twice is one change.
    carrier(sim, false)
    expect(sim.kinds().filter((k) => k === 'carrier-lost')).toHaveLength(1)
  })
})
