import { describe, expect, it } from 'vitest'
import { held, MachineSimulation, testTiming, vip } from '../../test/fakes/machine-simulation.js'
import { leases } from './leases.js'

const VIP_A = vip('10.0.0.100')
const LINKS = ['private', 'public']

function node(self: 'a' | 'b', failback: 'auto' | 'stable' = 'auto') {
  return new MachineSimulation({
    self,
    timing: testTiming({ failback: { policy: failback, stableForMs: 1_000, claimTimeoutMs: 2_000 } }),
    linkNames: LINKS,
    peers: [self === 'a' ? 'b' : 'a'],
    resources: [{ owner: 'a', addresses: [VIP_A] }],
    releaseOnStop: true,
  })
}

describe('an address whose lifetime ran out', () => {
  it('is released (hooks run, the remove makes sure), then claimed again by the usual rules', () => {
    const a = node('a')
    a.input({ kind: 'reconciled', held: ['a'] })
    a.heartbeat('b', 'private')
    a.heartbeat('b', 'public')
    a.input({ kind: 'expired', owner: 'a' })
    expect(a.kinds()).toEqual(['addresses-expired', 'releasing'])
    expect(a.lastChecklist()).toMatchObject({ action: 'release', owner: 'a' })
    // Nobody else holds it (the freeze was short of deadAfter, the renewals failed): claimed again.
    a.finish(a.lastChecklist())
    expect(a.status('a')).toBe('acquiring')
  })

  it('is nothing to a resource not held', () => {
    const a = node('a')
    a.input({ kind: 'expired', owner: 'a' })
    expect(a.kinds()).toEqual([])
  })

  it('while the peer that took it over holds it: that peer keeps it until its failback is due', () => {
    const b = node('b', 'stable')
    b.advance(400) // a silent past deadAfter: b takes a's address
    b.finish(b.lastChecklist())
    expect(b.status('a')).toBe('held')
    // a is back from its freeze and releases what expired: b keeps it and does not release.
    b.heartbeat('a', 'private', { held: [held(VIP_A, 'releasing')] })
    b.heartbeat('a', 'public', { held: [held(VIP_A, 'releasing')] })
    expect(b.status('a')).toBe('held')
    expect(b.checklists().filter((c) => c.action === 'release')).toEqual([])
    // a has let go; b gives it back by its failback policy (stable, 1 s).
    b.heartbeatsUntil('a', LINKS, 100, b.now + 1_100)
    expect(b.lastChecklist()).toMatchObject({ action: 'release', reason: 'peer a healthy for 1000ms' })
  })

  it('a holder still releases when the owner plainly holds its addresses too', () => {
    const b = node('b')
    b.advance(400)
    b.finish(b.lastChecklist())
    b.heartbeat('a', 'private', { held: [held(VIP_A)] })
    expect(b.lastChecklist()).toMatchObject({
      action: 'release',
      reason: 'peer a holds its addresses itself',
    })
  })
})

describe('which held addresses expire on their own', () => {
  it('those a live, healthy peer would take over; the rest are kept forever; none while acquiring', () => {
    const a = node('a')
    a.input({ kind: 'reconciled', held: ['a'] })
    expect(leases(a.state)).toEqual([{ owner: 'a', address: VIP_A, expires: false }])
    a.heartbeat('b', 'private')
    expect(leases(a.state)).toEqual([{ owner: 'a', address: VIP_A, expires: true }])
    a.heartbeat('b', 'public', { state: 'maintenance' })
    expect(leases(a.state)).toEqual([{ owner: 'a', address: VIP_A, expires: false }])
    const b = node('b')
    b.advance(400)
    expect(b.status('a')).toBe('acquiring')
    expect(leases(b.state)).toEqual([])
  })
})
