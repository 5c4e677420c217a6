// A stall of the observer's own (a frozen VM, a busy host) is not its peer's silence: real engines on
// a fake network and a fake clock. `jump` is the whole machine stopping; `freeze` stops one node
// while the others run, and its first turn after it reads its sockets before its timers run.
import { describe, expect, it } from 'vitest'
import {
  engineConfig,
  engineNodes,
  eventsOf,
  TEST_KEYS,
  TEST_LINKS,
  TEST_VIP,
} from '../../test/fakes/engine-nodes.js'
import { doubleHolds, FakeAddressControl } from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { createEngine } from './engine.js'

/** a owns the VIP, b takes it over. */
async function pair() {
  const p = engineNodes({
    a: { owns: [TEST_VIP], peers: [{ id: 'b' }] },
    b: { peers: [{ id: 'a', takeover: [TEST_VIP] }] },
  })
  await p.start()
  expect(p.node('a').address.has('10.0.0.100')).toBe(true)
  return p
}

/** The pair and c, a third node on another host that takes nothing: it keeps talking to b. */
async function trio() {
  const p = engineNodes({
    a: { owns: [TEST_VIP], peers: [{ id: 'b' }, { id: 'c' }] },
    b: { peers: [{ id: 'a', takeover: [TEST_VIP] }, { id: 'c' }] },
    c: { peers: [{ id: 'a' }, { id: 'b' }] },
  })
  await p.start()
  expect(p.node('a').address.has('10.0.0.100')).toBe(true)
  return p
}

describe('a stall of its own', () => {
  it('a machine stopped for less than deadAfter, a a moment slower to resume than b, is no takeover', async () => {
    const p = await pair()
    // Every length under deadAfter that leaves a silent for deadAfter or more, at every phase of
    // the two nodes' heartbeat timers: b's first turn after the stop comes before a's next heartbeat.
    for (const stall of [210, 240, 270, 295]) {
      for (let phase = 0; phase < 100; phase += 15) {
        await p.clock.advance(phase)
        p.clock.jump(stall)
        // a resumes a moment after b: what it sends in b's first turn has not arrived yet.
        p.cut('a', true)
        await p.clock.advance(1)
        p.cut('a', false)
        await p.clock.advance(400)
      }
    }
    expect(eventsOf(p.events, 'b', 'peer-lost')).toEqual([])
    expect(p.node('b').address.has('10.0.0.100')).toBe(false)
    expect(doubleHolds(p.journal)).toEqual([])
    await p.stop()
  })

  it('still takes over a peer that died as this node stalled: one grace of two heartbeat intervals later', async () => {
    const p = await pair()
    await p.clock.advance(40)
    // a dies; b's machine then stops for 250 ms.
    p.cut('a', true)
    p.clock.jump(250)
    const resumedAt = p.clock.now()
    await p.clock.advance(1_000)
    const lost = eventsOf(p.events, 'b', 'peer-lost')
    expect(lost).toHaveLength(1)
    // Withheld for the grace after the stall (two intervals), not for a whole deadAfter more.
    expect(lost[0]!.at - resumedAt).toBeGreaterThanOrEqual(200)
    expect(lost[0]!.at - resumedAt).toBeLessThan(210)
    expect(p.node('b').address.has('10.0.0.100')).toBe(true)
    await p.stop()
  })

  // a and b on one busy host, c on another: b wakes to c's heartbeats queued in its sockets, and reads
  // them before its own timers can tell it stalled. Judged then, a's silence would be a's death.
  it.each([
    ['a stall (less than deadAfter)', [210, 250, 295]],
    ['a pause (more than deadAfter)', [350, 600]],
  ])('%s of the host under a and b, with c running elsewhere, is no takeover', async (_, stops) => {
    const p = await trio()
    for (const stop of stops) {
      for (let phase = 0; phase < 100; phase += 20) {
        await p.clock.advance(phase)
        p.freeze('a')
        p.freeze('b')
        await p.clock.advance(stop)
        p.thaw('b')
        await p.clock.advance(1)
        p.thaw('a')
        await p.clock.advance(400)
      }
    }
    expect(eventsOf(p.events, 'b', 'peer-lost')).toEqual([])
    expect(p.node('b').address.has('10.0.0.100')).toBe(false)
    expect(doubleHolds(p.journal)).toEqual([])
    await p.stop()
  })

  it('an owner that stalls in its first turns, before it hears the taker holding its address, does not take it too', async () => {
    const p = engineNodes({
      a: { owns: [TEST_VIP], peers: [{ id: 'b' }] },
      b: { peers: [{ id: 'a', takeover: [TEST_VIP] }] },
    })
    // b alone: a is lost at b's start, and b holds a's address.
    await p.node('b').engine.start()
    await p.clock.advance(1_000)
    expect(p.node('b').address.has('10.0.0.100')).toBe(true)
    // a returns on a busy host: b's heartbeats are late, and a stalls after its first turns.
    p.cut('b', true)
    await p.node('a').engine.start()
    await p.clock.advance(100)
    p.clock.jump(210)
    await p.clock.advance(50)
    // b is heard again within the grace after a's stall: a waits for b to hand the address back.
    p.cut('b', false)
    await p.clock.advance(2_000)
    expect(doubleHolds(p.journal)).toEqual([])
    expect(eventsOf(p.events, 'a', 'peer-lost')).toEqual([])
    expect(p.node('a').address.has('10.0.0.100')).toBe(true)
    expect(p.node('b').address.has('10.0.0.100')).toBe(false)
    await p.stop()
  })

  // c's deadline for a dead a fires; the host stops c (and b) before c's tick judges. Judged in that
  // tick, b's silence across the stop would be b's death, and c would take a's address beside b.
  it.each([240, 270, 295])(
    'a stop of %i ms between a timer and the judgement it queues is noted before that judgement',
    async (stop) => {
      for (let phase = 0; phase < 100; phase += 30) {
        const takers = ['b', 'c']
        const p = engineNodes({
          a: { owns: [TEST_VIP], takers, peers: [{ id: 'b' }, { id: 'c' }] },
          b: { peers: [{ id: 'a', takeover: [TEST_VIP], takers }, { id: 'c' }] },
          c: { peers: [{ id: 'a', takeover: [TEST_VIP], takers }, { id: 'b' }] },
        })
        await p.start()
        await p.clock.advance(phase)
        p.cut('a', true)
        p.node('c').clock.stallAfterNextTimer(stop)
        await p.clock.advance(1_500)
        // a, cut off, keeps its address (a partition, not a death): b alone takes it over.
        expect(eventsOf(p.events, 'c', 'acquiring')).toEqual([])
        expect(p.journal.filter((o) => o.node === 'c')).toEqual([])
        expect(p.node('b').address.has('10.0.0.100')).toBe(true)
        await p.stop()
      }
    },
  )

  it("a start whose steps take longer than deadAfter is no pause: the agent's turns are timed from its first heartbeat", async () => {
    const clock = new FakeClock()
    const net = new FakeNetwork(() => clock.now())
    const transport = net.transport('b', TEST_LINKS)
    const events: string[] = []
    const engine = createEngine({
      config: engineConfig('b', { peers: [{ id: 'a', takeover: [TEST_VIP] }] }),
      keys: TEST_KEYS,
      clock,
      // Opening the sockets took 500 ms (a slow start: loading the etcd client, a busy machine).
      transport: {
        ...transport,
        start: async (onPacket) => {
          clock.jump(500)
          await transport.start(onPacket)
        },
      },
      address: new FakeAddressControl(() => clock.now(), 'b', []),
      onEvent: (e) => events.push(e.kind),
    })
    await engine.start()
    await clock.advance(1_000)
    expect(events).toContain('agent-started')
    expect(events).not.toContain('paused')
    expect(events).not.toContain('loop-stalled')
    await Promise.all([engine.stop(), clock.advance(200)])
  })
})
