// A stall of the observer's own (a frozen VM, a busy host) is not its peer's silence: two real
// engines on a fake network and a fake clock whose `jump` is the whole machine stopping.
import { describe, expect, it } from 'vitest'
import {
  type AddressOperation,
  doubleHolds,
  FakeAddressControl,
} from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { configSchema } from '../config/schema.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import type { IpfoEvent } from '../model/events.js'
import { createEngine } from './engine.js'

const KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))
const VIP = { interface: 'eth0', address: '10.0.0.100/24' }
const LINKS = ['private', 'public'] as const

/** a owns the VIP, b takes it over; 100 ms heartbeats, 300 ms deadAfter. */
async function pair() {
  const clock = new FakeClock()
  const net = new FakeNetwork(() => clock.now())
  const journal: AddressOperation[] = []
  const events: { node: string; at: number; event: IpfoEvent }[] = []
  const node = (id: string, extra: Record<string, unknown>) => {
    const address = new FakeAddressControl(() => clock.now(), id, journal)
    const engine = createEngine({
      config: configSchema.parse({
        node: id,
        key: '/dev/null',
        interval: '100ms',
        deadAfter: '300ms',
        links: [
          { name: 'private', targets: ['10.1.0.255'] },
          { name: 'public', targets: ['10.0.0.255'] },
        ],
        announce: { count: 1, interval: '10ms' },
        ...extra,
      }),
      keys: KEYS,
      clock,
      transport: net.transport(id, LINKS),
      address,
      onEvent: (event) => events.push({ node: id, at: clock.now(), event }),
    })
    return { engine, address }
  }
  const a = node('a', { owns: [VIP], peers: [{ id: 'b' }] })
  const b = node('b', { peers: [{ id: 'a', takeover: [VIP] }] })
  await a.engine.start()
  await b.engine.start()
  await clock.advance(1_000)
  expect(a.address.has('10.0.0.100')).toBe(true)
  const cut = (isCut: boolean) => {
    for (const link of LINKS) net.setCut('a', link, isCut)
  }
  const stop = async () => {
    for (const engine of [a.engine, b.engine]) await Promise.all([engine.stop(), clock.advance(200)])
  }
  return { clock, journal, events, a, b, cut, stop }
}

const lostOnB = (events: readonly { node: string; at: number; event: IpfoEvent }[]) =>
  events.filter((e) => e.node === 'b' && e.event.kind === 'peer-lost')

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
        p.cut(true)
        await p.clock.advance(1)
        p.cut(false)
        await p.clock.advance(400)
      }
    }
    expect(lostOnB(p.events)).toEqual([])
    expect(p.b.address.has('10.0.0.100')).toBe(false)
    expect(doubleHolds(p.journal)).toEqual([])
    await p.stop()
  })

  it('still takes over a peer that died as this node stalled: one grace of two heartbeat intervals later', async () => {
    const p = await pair()
    await p.clock.advance(40)
    // a dies; b's machine then stops for 250 ms.
    p.cut(true)
    p.clock.jump(250)
    const resumedAt = p.clock.now()
    await p.clock.advance(1_000)
    const lost = lostOnB(p.events)
    expect(lost).toHaveLength(1)
    // Withheld for the grace after the stall (two intervals), not for a whole deadAfter more.
    expect(lost[0]!.at - resumedAt).toBeGreaterThanOrEqual(200)
    expect(lost[0]!.at - resumedAt).toBeLessThan(210)
    expect(p.b.address.has('10.0.0.100')).toBe(true)
    await p.stop()
  })
})
