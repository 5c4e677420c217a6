import { describe, expect, it } from 'vitest'
import { held, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import { leases } from './leases.js'

const VIP_A = vip('10.0.0.100')
const LINKS = ['private', 'public']

/** A node of a pair where b takes over a's address; `mutual`: a takes over b's too. */
function node(self: 'a' | 'b', failback: 'auto' | 'stable' = 'auto', mutual = false) {
  return pairMachine(
    self,
    [{ owner: 'a', addresses: [VIP_A] }, ...(mutual ? [{ owner: 'b', addresses: [vip('10.0.0.200')] }] : [])],
    { timing: { failback: { policy: failback, stableForMs: 1_000, claimTimeoutMs: 2_000 } } },
  )
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

  it('after a pause, is let go in the same step as peers are judged afresh: nothing stale is taken over', () => {
    // a and b back each other up; a holds its own address, b is heard, then a freezes for 6 s.
    const a = node('a', 'auto', true)
    a.input({ kind: 'reconciled', held: ['a'] })
    a.heartbeat('b', 'private')
    a.heartbeat('b', 'public')
    a.now += 6_000
    a.input({ kind: 'resumed', pausedMs: 6_000, expired: ['a'] })
    expect(a.kinds()).toEqual(['addresses-expired', 'releasing'])
    expect(a.checklists().map((c) => [c.action, c.owner])).toEqual([['release', 'a']])
    expect(a.effects.at(-1)).toEqual({ kind: 'send-heartbeat' })
  })

  it('removes first, runs no Test gate, and ends not held even when a hook after the remove fails', () => {
    const a = node('a')
    a.input({ kind: 'reconciled', held: ['a'] })
    a.heartbeat('b', 'private')
    a.heartbeat('b', 'public', { held: [held(VIP_A)] })
    a.input({ kind: 'expired', owner: 'a' })
    const release = a.lastChecklist()
    expect(release.steps.map((s) => s.step)).toEqual(['remove', 'phase', 'phase', 'notify'])
    a.finish(release, 'aborted')
    expect(a.status('a')).not.toBe('held')
    expect(a.state.resources.a?.blocked).toBeNull()
  })

  it('stays held (and blocked) when the remove itself failed: the address may still be there', () => {
    const a = node('a')
    a.input({ kind: 'reconciled', held: ['a'] })
    a.input({ kind: 'expired', owner: 'a' })
    a.finish(a.lastChecklist(), 'failed')
    expect(a.status('a')).toBe('held')
    expect(a.state.resources.a?.blocked).toMatchObject({ action: 'release' })
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
    // Still starting: it takes them over once started, so they expire too.
    a.heartbeat('b', 'public', { state: 'starting' })
    expect(leases(a.state)).toEqual([{ owner: 'a', address: VIP_A, expires: true }])
    const b = node('b')
    b.advance(400)
    expect(b.status('a')).toBe('acquiring')
    expect(leases(b.state)).toEqual([])
  })
})
