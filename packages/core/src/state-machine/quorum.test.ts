import { describe, expect, it } from 'vitest'
import { pairMachine, vip } from '../../test/fakes/machine-simulation.js'

const VIP_A = vip('10.0.0.100')

/** A node of a pair where b takes over a's address, with a quorum store deciding who holds. */
function node(self: 'a' | 'b', onLoss: 'release' | 'keep' = 'release') {
  return pairMachine(self, [{ owner: 'a', addresses: [VIP_A] }], {
    timing: { quorum: { onLoss }, arbitrate: true },
  })
}

/** b, its lease valid, heard a once, then lost it: its takeover has started. */
function takerAfterLoss() {
  const b = node('b')
  b.input({ kind: 'quorum', valid: true, reason: 'the lease is valid' })
  b.heartbeat('a', 'private')
  b.heartbeat('a', 'public')
  b.advance(400)
  expect(b.status('a')).toBe('acquiring')
  return b
}

/** a, its lease valid and past its start-up wait, holding its address. */
function ownerHolding(onLoss: 'release' | 'keep') {
  const a = node('a', onLoss)
  a.advance(1_000)
  a.input({ kind: 'quorum', valid: true, reason: 'the lease is valid' })
  a.finish(a.lastChecklist())
  expect(a.status('a')).toBe('held')
  return a
}

describe('quorum: a refused release past the lease', () => {
  it('refused before the lease was lost, is released after retryAfter, never later: another node may win the key', () => {
    const a = ownerHolding('release')
    // `ipfo release a`, refused by Test: asked again in a minute, as long as the lease is valid.
    a.input({ kind: 'release', owner: 'a' })
    a.finish(a.lastChecklist(), 'notify-only')
    expect(a.status('a')).toBe('held')
    a.input({ kind: 'quorum', valid: false, reason: 'the lease expired' })
    const retryAfter = a.state.timing.retryAfterMs
    a.advance(retryAfter - 100)
    expect(a.checklists().filter((c) => c.action === 'release')).toHaveLength(1)
    a.advance(200)
    expect(a.checklists().filter((c) => c.action === 'release')).toHaveLength(2)
    expect(a.lastChecklist()).toMatchObject({ reason: 'the quorum lease is not known valid' })
  })
})

describe('quorum: a store decides who holds', () => {
  it('nothing is acquired before the lease is valid, then the owner claims its key first (no probe)', () => {
    const a = node('a')
    a.advance(1_000)
    expect(a.status('a')).toBe('waiting')
    a.input({ kind: 'quorum', valid: true, reason: 'the lease is valid' })
    expect(a.kinds()).toContain('quorum-regained')
    expect(a.lastChecklist().steps.map((s) => (s.step === 'phase' ? s.phase : s.step))).toEqual([
      'claim',
      'gate',
      'PreAcq',
      'add',
      'announce',
      'PostAcq',
      'notify',
    ])
  })

  it('a release deletes the key as soon as the addresses are gone', () => {
    const a = ownerHolding('release')
    a.input({ kind: 'stop', release: true })
    expect(a.lastChecklist().steps.map((s) => (s.step === 'phase' ? s.phase : s.step))).toEqual([
      'gate',
      'PreRel',
      'remove',
      'disclaim',
      'PostRel',
      'notify',
    ])
  })

  it('a claim lost to another holder is not a refusal: the taker waits for the key, then tries at once', () => {
    const b = takerAfterLoss()
    b.finish(b.lastChecklist(), 'claim-lost')
    expect(b.status('a')).toBe('idle')
    expect(b.state.resources.a?.acquireRefused).toBe(false)
    b.advance(1_000)
    expect(b.status('a')).toBe('idle')
    b.input({ kind: 'claim-freed', owner: 'a' })
    expect(b.status('a')).toBe('acquiring')
  })

  it('without a word from the store, a lost claim is tried again after retryAfter', () => {
    const b = takerAfterLoss()
    b.finish(b.lastChecklist(), 'claim-lost')
    b.advance(4_900)
    expect(b.status('a')).toBe('idle')
    b.advance(200)
    expect(b.status('a')).toBe('acquiring')
  })

  it('quorum lost: held addresses are removed first, the key deleted, then the hooks; nothing is claimed until it is back', () => {
    const a = ownerHolding('release')
    a.heartbeat('b', 'private')
    a.input({ kind: 'quorum', valid: false, reason: 'no renewal answered' })
    expect(a.kinds().slice(-2)).toEqual(['quorum-lost', 'releasing'])
    expect(a.events().find((e) => e.kind === 'quorum-lost')).toMatchObject({
      onLoss: 'release',
      addresses: ['10.0.0.100/24'],
    })
    expect(a.lastChecklist().steps.map((s) => (s.step === 'phase' ? s.phase : s.step))).toEqual([
      'remove',
      'disclaim',
      'PreRel',
      'PostRel',
      'notify',
    ])
    // Whatever the hooks say, the addresses are gone; nothing is acquired while the lease is not valid.
    a.finish(a.lastChecklist(), 'aborted')
    a.advance(10_000)
    expect(a.status('a')).toBe('idle')
    a.input({ kind: 'quorum', valid: true, reason: 'the lease is valid' })
    expect(a.status('a')).toBe('acquiring')
  })

  it('quorum lost during an acquire: the acquire yields, and if it added anyway the address is released when it ends', () => {
    const b = takerAfterLoss()
    b.input({ kind: 'quorum', valid: false, reason: 'no renewal answered' })
    expect(b.effects).toContainEqual({ kind: 'yield-checklist', owner: 'a' })
    b.finish(b.checklists().find((c) => c.action === 'acquire')!, 'done')
    expect(b.status('a')).toBe('releasing')
  })

  it('onLoss keep: held addresses stay, loudly; still nothing new is acquired', () => {
    const a = ownerHolding('keep')
    a.input({ kind: 'quorum', valid: false, reason: 'no renewal answered' })
    expect(a.events().find((e) => e.kind === 'quorum-lost')).toMatchObject({ onLoss: 'keep' })
    expect(a.status('a')).toBe('held')
  })

  it('quorum back clears what waited for the store', () => {
    const b = takerAfterLoss()
    b.finish(b.lastChecklist(), 'claim-lost')
    b.input({ kind: 'quorum', valid: false, reason: 'the lease is gone' })
    b.input({ kind: 'quorum', valid: true, reason: 'the lease is valid' })
    expect(b.status('a')).toBe('acquiring')
  })
})
