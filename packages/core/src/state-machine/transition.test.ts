// Longer than most files: the machine's core table (detection, takeover, failback policies, operator
// commands, stop) shares one set of helpers; claims, carriers and split brains have their own files.
import { describe, expect, it } from 'vitest'
import { held, type MachineSimulation, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import { ACQUIRE_CAUSES, RELEASE_CAUSES } from '../model/events.js'
import { advertisedHeld } from './advertise.js'
import { nextDeadline } from './deadline.js'
import { takeoverRefusal } from './operator.js'
import type { Timing } from './state.js'

const VIP_A = vip('10.0.0.100')
const VIP_B = vip('10.0.0.101')
const LINKS = ['private', 'public']

/** Node B watching A (Apple's secondary), optionally owning VIP_B too. */
function backup(opts: { timing?: Partial<Timing>; ownsB?: boolean; releaseOnStop?: boolean } = {}) {
  return pairMachine(
    'b',
    [
      { owner: 'b', addresses: opts.ownsB ? [VIP_B] : [] },
      { owner: 'a', addresses: [VIP_A] },
    ],
    { timing: opts.timing, releaseOnStop: opts.releaseOnStop ?? true },
  )
}

/** Node A owning VIP_A, with B as its peer. */
function owner(timing: Partial<Timing> = {}) {
  return pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }], { timing })
}

/** B has heard A on both links and A then goes silent until B takes over. */
function takenOver(sim: MachineSimulation) {
  sim.heartbeat('a', 'private')
  sim.heartbeat('a', 'public')
  sim.advance(300)
  sim.finish(sim.lastChecklist())
  expect(sim.status('a')).toBe('held')
}

describe('detection', () => {
  it('declares a peer lost only after deadAfter of silence on every link, then runs the takeover checklist in order', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.heartbeat('a', 'public')
    sim.advance(299)
    expect(sim.kinds()).not.toContain('peer-lost')
    sim.advance(1)
    expect(sim.kinds()).toEqual(['heartbeat-lost', 'heartbeat-lost', 'peer-lost', 'acquiring'])
    expect(sim.events().find((e) => e.kind === 'peer-lost')).toMatchObject({ peer: 'a', silentForMs: 300 })
    const checklist = sim.lastChecklist()
    expect(checklist).toMatchObject({
      action: 'acquire',
      owner: 'a',
      peer: 'a',
      detectionMs: 300,
      addresses: [VIP_A],
    })
    expect(checklist.steps.map((s) => (s.step === 'phase' ? s.phase : s.step))).toEqual([
      'gate',
      'PreAcq',
      'add',
      'announce',
      'PostAcq',
      'notify',
    ])
    expect(sim.status('a')).toBe('acquiring')
  })

  it('reports a link anomaly, never a takeover, while one link still carries heartbeats', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.heartbeat('a', 'public')
    sim.heartbeatsUntil('a', ['public'], 100, 2_000)
    expect(sim.kinds()).toEqual(['heartbeat-lost', 'link-anomaly'])
    expect(sim.events()[1]).toMatchObject({
      kind: 'link-anomaly',
      peer: 'a',
      up: ['public'],
      down: ['private'],
    })
    expect(sim.checklists()).toEqual([])
    sim.heartbeat('a', 'private')
    expect(sim.kinds().slice(-2)).toEqual(['heartbeat-restored', 'link-anomaly-cleared'])
  })

  it('links that fall silent a few milliseconds apart are one loss, not an anomaly', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.advance(3)
    sim.heartbeat('a', 'public')
    sim.advance(400)
    expect(sim.kinds()).toEqual(['heartbeat-lost', 'heartbeat-lost', 'peer-lost', 'acquiring'])
  })

  it('reports an anomaly once the split has lasted one interval', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.heartbeat('a', 'public')
    sim.advance(300 - 1)
    sim.heartbeat('a', 'public')
    sim.advance(1) // private down, public up: a split, not yet an anomaly
    expect(sim.kinds()).toEqual(['heartbeat-lost'])
    sim.advance(99)
    expect(sim.kinds()).toEqual(['heartbeat-lost'])
    sim.advance(1)
    expect(sim.kinds()).toEqual(['heartbeat-lost', 'link-anomaly'])
  })

  it('takes over at once from a peer that says goodbye holding nothing', () => {
    const sim = backup()
    sim.heartbeat('a', 'private', { held: [held(VIP_A)] })
    sim.advance(50)
    sim.heartbeat('a', 'private', { state: 'stopping', held: [] })
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
    sim.heartbeat('a', 'public', { state: 'stopping', held: [] })
    expect(sim.kinds().filter((k) => k === 'peer-restored')).toEqual([])
  })

  it('still starting, takes over at once from a peer whose first word heard is its goodbye (the guard hands over to a starting peer)', () => {
    const sim = backup()
    sim.advance(50)
    expect(sim.checklists()).toEqual([])
    sim.heartbeat('a', 'private', { state: 'stopping', held: [] })
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })

  it('takes over a peer never heard once the start-up grace (deadAfter) has passed', () => {
    const sim = backup()
    sim.advance(299)
    expect(sim.checklists()).toEqual([])
    sim.advance(1)
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })

  it('asks to be ticked exactly at the next link deadline', () => {
    const sim = backup()
    sim.advance(50)
    sim.heartbeat('a', 'private')
    sim.advance(20)
    sim.heartbeat('a', 'public')
    expect(nextDeadline(sim.state, sim.now)).toBe(1_000 + 50 + 300)
  })
})

describe('failback', () => {
  it('auto: releases in mirror order as soon as the peer is heard again', () => {
    const sim = backup()
    takenOver(sim)
    sim.advance(1_000)
    sim.heartbeat('a', 'public', { restarted: true, incarnation: 2 })
    expect(sim.kinds().slice(-3)).toEqual(['heartbeat-restored', 'peer-restored', 'releasing'])
    const release = sim.lastChecklist()
    expect(release.steps.map((s) => (s.step === 'phase' ? s.phase : s.step))).toEqual([
      'gate',
      'PreRel',
      'remove',
      'PostRel',
      'notify',
    ])
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A, 'releasing')])
    expect(sim.finish(release)).toContainEqual({ kind: 'send-heartbeat' })
    expect(sim.status('a')).toBe('idle')
    expect(advertisedHeld(sim.state)).toEqual([])
  })

  it('stable: a flapping peer does not get its address back until it stays up for stableFor', () => {
    const sim = backup({
      timing: { failback: { policy: 'stable', stableForMs: 1_000, claimTimeoutMs: 2_000 } },
    })
    takenOver(sim)
    sim.heartbeatsUntil('a', LINKS, 100, sim.now + 500)
    expect(sim.kinds()).toContain('failback-pending')
    sim.advance(400) // silent again: lost
    expect(sim.kinds().filter((k) => k === 'peer-lost')).toHaveLength(2)
    expect(sim.status('a')).toBe('held')
    const start = sim.now
    sim.heartbeatsUntil('a', LINKS, 100, start + 950)
    expect(sim.status('a')).toBe('held')
    sim.heartbeatsUntil('a', LINKS, 100, start + 1_200)
    expect(sim.status('a')).toBe('releasing')
  })

  it('manual: keeps the address, advertises it as kept, and releases only on command', () => {
    const sim = backup({ timing: { failback: { policy: 'manual', stableForMs: 0, claimTimeoutMs: 2_000 } } })
    takenOver(sim)
    sim.heartbeatsUntil('a', LINKS, 100, sim.now + 5_000)
    expect(sim.status('a')).toBe('held')
    expect(sim.events().filter((e) => e.kind === 'failback-pending')).toEqual([
      { kind: 'failback-pending', owner: 'a', policy: 'manual', releaseInMs: null },
    ])
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A, 'kept')])
    sim.input({ kind: 'release', owner: 'a' })
    expect(sim.lastChecklist()).toMatchObject({ action: 'release', reason: 'operator release' })
  })

  it('releases whatever the policy when the owner itself holds the address (a healed split brain)', () => {
    const sim = backup({ timing: { failback: { policy: 'manual', stableForMs: 0, claimTimeoutMs: 2_000 } } })
    takenOver(sim)
    sim.heartbeat('a', 'private', { held: [held(VIP_A)] })
    expect(sim.lastChecklist()).toMatchObject({
      action: 'release',
      reason: 'peer a holds its addresses itself',
    })
  })
})

describe('a returning owner', () => {
  it('waits for the holder to release before it claims its own address', () => {
    const sim = owner()
    sim.heartbeat('b', 'private', { held: [held(VIP_A)] })
    sim.heartbeatsUntil('b', LINKS, 100, sim.now + 500, [held(VIP_A, 'releasing')])
    expect(sim.checklists()).toEqual([])
    expect(sim.kinds()).toEqual(['claim-waiting'])
    sim.heartbeat('b', 'private', { held: [] })
    expect(sim.lastChecklist()).toMatchObject({
      action: 'acquire',
      owner: 'a',
      reason: 'own addresses are free',
    })
  })

  it('claims after claimTimeout with a loud event when the holder never releases', () => {
    const sim = owner()
    sim.heartbeatsUntil('b', LINKS, 100, sim.now + 2_150, [held(VIP_A)])
    expect(sim.kinds()).toEqual(['claim-waiting', 'claim-forced', 'acquiring'])
    expect(sim.events()[1]).toMatchObject({ kind: 'claim-forced', holder: 'b', waitedMs: 2_000 })
  })

  it('never forces a claim on an address the holder keeps by policy', () => {
    const sim = owner()
    sim.heartbeatsUntil('b', LINKS, 100, sim.now + 10_000, [held(VIP_A, 'kept')])
    expect(sim.checklists()).toEqual([])
  })

  it('claims at once when the first heartbeats show nobody holds its address', () => {
    const sim = owner()
    sim.heartbeat('b', 'private')
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })

  it('claims after the start-up grace when no peer is heard at all', () => {
    const sim = owner()
    sim.advance(299)
    expect(sim.checklists()).toEqual([])
    sim.advance(1)
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })
})

describe('mutual backup', () => {
  it("each node holds its own, takes the other's when it dies, and gives it back in order", () => {
    const sim = backup({ ownsB: true })
    sim.heartbeat('a', 'private', { held: [held(VIP_A)] })
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'b' })
    sim.finish(sim.lastChecklist())
    sim.heartbeatsUntil('a', LINKS, 100, sim.now + 1_000, [held(VIP_A)])
    expect(sim.checklists()).toHaveLength(1)
    sim.advance(300)
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
    sim.finish(sim.lastChecklist())
    expect(
      advertisedHeld(sim.state)
        .map((h) => h.ip)
        .sort(),
    ).toEqual(['10.0.0.100', '10.0.0.101'])
    sim.heartbeat('a', 'private', { held: [], restarted: true, incarnation: 2 })
    expect(sim.lastChecklist()).toMatchObject({ action: 'release', owner: 'a' })
    expect(sim.status('b')).toBe('held')
  })
})

describe('checklist outcomes', () => {
  it('notification-only is asked again when the peer returns and is lost again, before its minute is up', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.advance(300)
    sim.finish(sim.lastChecklist(), 'notify-only')
    sim.advance(30_000)
    expect(sim.checklists()).toHaveLength(1)
    expect(sim.status('a')).toBe('idle')
    sim.heartbeat('a', 'private')
    sim.advance(300)
    expect(sim.checklists()).toHaveLength(2)
  })

  it('a failed address change is retried after retryAfter', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.advance(300)
    sim.finish(sim.lastChecklist(), 'failed')
    sim.advance(4_999)
    expect(sim.checklists()).toHaveLength(1)
    sim.advance(1)
    expect(sim.checklists()).toHaveLength(2)
  })

  it('gives each checklist a new id', () => {
    const sim = backup()
    takenOver(sim)
    sim.heartbeat('a', 'private')
    const ids = sim.checklists().map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('operator and lifecycle', () => {
  it('maintenance stops automatic takeover', () => {
    const sim = backup()
    sim.input({ kind: 'maintenance', on: true })
    sim.advance(10_000)
    expect(sim.checklists()).toEqual([])
    sim.input({ kind: 'maintenance', on: false })
    expect(sim.lastChecklist()).toMatchObject({ action: 'acquire', owner: 'a' })
  })

  it('a reconciled address is held without a second add; its own are announced again, not a peer’s', () => {
    const sim = backup({ ownsB: true })
    const fx = sim.input({ kind: 'reconciled', held: ['a', 'b'] })
    // A peer may have taken b's while this agent was down, and the network learned its MAC. a's owner
    // may hold a's by now: b gives way to it, and does not pull its traffic meanwhile.
    expect(fx.filter((e) => e.kind === 'announce')).toEqual([
      expect.objectContaining({ kind: 'announce', owner: 'b', addresses: [VIP_B] }),
    ])
    sim.advance(1_000)
    expect(sim.status('a')).toBe('held')
    expect(sim.status('b')).toBe('held')
    expect(sim.checklists()).toEqual([])
    expect(sim.input({ kind: 'reconciled', held: ['a', 'b'] }).filter((e) => e.kind === 'announce')).toEqual(
      [],
    )
  })

  it('refuses a manual takeover while another node holds the address, and says where to release it', () => {
    const sim = backup()
    sim.heartbeat('a', 'private', { held: [held(VIP_A)] })
    expect(takeoverRefusal(sim.state, 'a')).toBe('a holds 10.0.0.100/24; run "ipfo release a" on a first')
    sim.input({ kind: 'takeover', owner: 'a' })
    expect(sim.checklists()).toEqual([])
  })

  it('a manual takeover is kept until released by hand', () => {
    const sim = backup()
    sim.heartbeat('a', 'private')
    sim.input({ kind: 'takeover', owner: 'a' })
    sim.finish(sim.lastChecklist())
    sim.heartbeatsUntil('a', LINKS, 100, sim.now + 1_000)
    expect(sim.status('a')).toBe('held')
    expect(advertisedHeld(sim.state)).toEqual([held(VIP_A, 'kept')])
  })

  it('stop releases held addresses, then reports stopped', () => {
    const sim = backup()
    takenOver(sim)
    sim.input({ kind: 'stop', release: sim.state.releaseOnStop })
    const release = sim.lastChecklist()
    expect(release).toMatchObject({ action: 'release', reason: 'agent stopping' })
    expect(sim.effects).not.toContainEqual({ kind: 'stopped' })
    expect(sim.finish(release)).toContainEqual({ kind: 'stopped' })
  })

  it.each(['notify-only', 'aborted', 'failed'] as const)(
    'stop whose release is refused or fails (%s) asks once, then stops keeping the addresses, loudly',
    (outcome) => {
      const sim = backup()
      takenOver(sim)
      sim.input({ kind: 'stop', release: true })
      const finished = sim.finish(sim.lastChecklist(), outcome)
      expect(sim.checklists().filter((c) => c.action === 'release')).toHaveLength(1)
      expect(finished).toContainEqual({ kind: 'stopped' })
      expect(sim.events().at(-1)).toEqual({ kind: 'kept-on-stop', owner: 'a', addresses: ['10.0.0.100/24'] })
      expect(sim.status('a')).toBe('held')
    },
  )

  it('a release refused before the stop does not stop the stop from asking again', () => {
    const sim = backup()
    takenOver(sim)
    sim.heartbeat('a', 'private')
    expect(sim.lastChecklist()).toMatchObject({ action: 'release', reason: 'peer a returned' })
    sim.finish(sim.lastChecklist(), 'notify-only')
    sim.input({ kind: 'stop', release: true })
    const release = sim.lastChecklist()
    expect(release).toMatchObject({ action: 'release', reason: 'agent stopping' })
    expect(sim.finish(release)).toContainEqual({ kind: 'stopped' })
    expect(sim.kinds()).not.toContain('kept-on-stop')
  })

  it('stop with onStop keep leaves addresses and stops at once', () => {
    const sim = backup({ releaseOnStop: false })
    takenOver(sim)
    expect(sim.input({ kind: 'stop', release: sim.state.releaseOnStop })).toContainEqual({ kind: 'stopped' })
    expect(sim.status('a')).toBe('held')
  })
})

describe('causes', () => {
  it('says why each checklist started in a word from a closed list: takeover, failback, operator, stop', () => {
    const sim = backup()
    takenOver(sim)
    // a is heard again: auto failback.
    sim.heartbeatsUntil('a', LINKS, 100, sim.now + 1_000)
    sim.finish(sim.lastChecklist())
    sim.input({ kind: 'takeover', owner: 'a' })
    sim.finish(sim.lastChecklist())
    sim.input({ kind: 'release', owner: 'a' })
    sim.finish(sim.lastChecklist())
    sim.input({ kind: 'takeover', owner: 'a' })
    sim.finish(sim.lastChecklist())
    sim.input({ kind: 'stop', release: true })
    const started = sim.events().filter((e) => e.kind === 'acquiring' || e.kind === 'releasing')
    expect(started.map((e) => `${e.kind} ${'cause' in e ? e.cause : ''}`)).toEqual([
      'acquiring peer-lost',
      'releasing failback',
      'acquiring operator',
      'releasing operator',
      'acquiring operator',
      'releasing stopping',
    ])
    for (const e of started)
      if (e.kind === 'acquiring') expect(ACQUIRE_CAUSES).toContain(e.cause)
      else if (e.kind === 'releasing') expect(RELEASE_CAUSES).toContain(e.cause)
  })
})
