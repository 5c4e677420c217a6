import { describe, expect, it } from 'vitest'
import { held, pairMachine, vip } from '../../test/fakes/machine-simulation.js'
import { nextDeadline } from './deadline.js'

// 100 ms heartbeats, 300 ms deadAfter (testTiming): the grace after a stall is 200 ms.
const VIP_A = vip('10.0.0.100')

/** b watching a, a heard on both links at 1_000. */
function watcher() {
  const b = pairMachine('b', [{ owner: 'a', addresses: [VIP_A] }])
  b.heartbeat('a', 'private')
  b.heartbeat('a', 'public')
  b.effects.length = 0
  return b
}

describe('a stall of its own: links keep their verdict for two intervals', () => {
  it('a peer silent past deadAfter only across the stall is not lost; heard again, nothing happened', () => {
    const b = watcher()
    b.now += 290
    b.input({ kind: 'stalled', stalledMs: 180 })
    b.advance(50)
    expect(b.kinds()).toEqual([])
    b.heartbeat('a', 'private')
    b.heartbeat('a', 'public')
    b.advance(150)
    expect(b.kinds()).toEqual([])
    expect(b.status('a')).toBe('idle')
  })

  it('a peer still silent when the grace ends is lost then, not a deadAfter later', () => {
    const b = watcher()
    b.now += 250
    b.input({ kind: 'stalled', stalledMs: 150 })
    // Its deadline (1_300) passes inside the grace (to 1_450): nothing yet.
    b.advanceTo(1_449)
    expect(b.kinds()).toEqual([])
    b.advanceTo(1_450)
    expect(b.kinds()).toEqual(['heartbeat-lost', 'heartbeat-lost', 'peer-lost', 'acquiring'])
  })

  it('keeps a link that was already down down: no anomaly cleared and raised again at every stall', () => {
    const b = watcher()
    // public goes silent after 1_000; private keeps beating: down at 1_300, an anomaly at 1_400.
    for (let t = 0; t < 4; t++) {
      b.advance(100)
      b.heartbeat('a', 'private')
    }
    expect(b.kinds()).toEqual(['heartbeat-lost', 'link-anomaly'])
    b.effects.length = 0
    // A stall while public's silence (450 ms) is still within what a grace could excuse (500 ms).
    b.now += 50
    b.input({ kind: 'stalled', stalledMs: 50 })
    for (let t = 0; t < 5; t++) {
      b.advance(100)
      b.heartbeat('a', 'private')
    }
    expect(b.kinds()).toEqual([])
  })

  it('stalls again and again never excuse more than deadAfter plus one grace of silence', () => {
    const b = watcher()
    // A busy host: this node stalls every 50 ms; a is dead since 1_000.
    let lostAt: number | undefined
    while (b.now < 2_000 && lostAt === undefined) {
      b.advance(50)
      b.input({ kind: 'stalled', stalledMs: 20 })
      if (b.kinds().includes('peer-lost')) lostAt = b.now
    }
    expect(lostAt).toBeDefined()
    expect(lostAt).toBeLessThanOrEqual(1_500)
    expect(lostAt).toBeGreaterThan(1_300)
  })

  it('judges a link kept up at the end of what a grace excuses, with no input to wake it', () => {
    const b = watcher()
    b.now += 280
    b.input({ kind: 'stalled', stalledMs: 100 })
    b.now += 150
    // A stall that extends the grace past the cap (1_000 + 300 + 200): the cap still ends it.
    b.input({ kind: 'stalled', stalledMs: 100 })
    expect(b.state.stallGraceUntil).toBe(1_630)
    expect(nextDeadline(b.state, b.now)).toBe(1_500)
    b.advanceTo(1_499)
    expect(b.kinds()).not.toContain('peer-lost')
    b.advanceTo(1_500)
    expect(b.kinds()).toContain('peer-lost')
  })

  it('a later stall extends the grace; an earlier end never shortens it', () => {
    const b = watcher()
    b.now += 200
    b.input({ kind: 'stalled', stalledMs: 100 })
    expect(b.state.stallGraceUntil).toBe(1_400)
    b.now += 50
    b.input({ kind: 'stalled', stalledMs: 30 })
    expect(b.state.stallGraceUntil).toBe(1_450)
  })

  it('a stall in the first turns after the start does not make peers never heard yet lost', () => {
    // a, the owner, starts at 1_000 while b holds its address; a stalls before it has heard b.
    const a = pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }])
    a.input({ kind: 'reconciled', held: [] })
    a.input({ kind: 'listening' })
    a.now += 250
    a.input({ kind: 'stalled', stalledMs: 150 })
    // b's silence counts from the start: past deadAfter at 1_300, inside the grace (to 1_450).
    a.advanceTo(1_320)
    expect(a.kinds()).toEqual([])
    a.heartbeat('b', 'private', { held: [held(VIP_A)] })
    a.heartbeat('b', 'public', { held: [held(VIP_A)] })
    a.advance(100)
    expect(a.kinds()).not.toContain('acquiring')
    expect(a.status('a')).not.toBe('acquiring')
  })

  it('a peer never heard stays unheard at most deadAfter plus one grace from the start', () => {
    const a = pairMachine('a', [{ owner: 'a', addresses: [VIP_A] }])
    a.input({ kind: 'reconciled', held: [] })
    a.input({ kind: 'listening' })
    a.now += 280
    a.input({ kind: 'stalled', stalledMs: 100 })
    a.now += 150
    a.input({ kind: 'stalled', stalledMs: 100 })
    expect(nextDeadline(a.state, a.now)).toBe(1_500)
    a.advanceTo(1_499)
    expect(a.kinds()).not.toContain('peer-lost')
    a.advanceTo(1_500)
    expect(a.kinds()).toContain('peer-lost')
    expect(a.kinds()).toContain('acquiring')
  })

  it('a stall judges nothing itself: the heartbeats read in the same turn are counted first', () => {
    const b = watcher()
    // a's heartbeats, the last at 1_000, were silent past what a grace excuses when b stalled; a's
    // next heartbeat is among those b reads in the turn that noticed the stall.
    b.now += 560
    expect(b.input({ kind: 'stalled', stalledMs: 300 })).toEqual([])
    b.input({
      kind: 'heartbeats',
      beats: ['private', 'public'].map((link) => ({
        peer: 'a',
        link,
        incarnation: 1,
        restarted: false,
        sentAt: b.now,
        fit: null,
        state: 'healthy' as const,
        held: [],
        orders: null,
        heard: null,
      })),
    })
    expect(b.kinds()).not.toContain('peer-lost')
    expect(b.kinds()).not.toContain('acquiring')
  })
})
