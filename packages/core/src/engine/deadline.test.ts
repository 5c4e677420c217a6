import { describe, expect, it } from 'vitest'
import { FakeAddressControl } from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { configSchema } from '../config/schema.js'
import { encodeHeartbeat } from '../heartbeat/codec.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import type { IpfoEvent } from '../model/events.js'
import { createEngine } from './engine.js'

const KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))

describe('the deadline timer', () => {
  it('still fires when the effects of an evaluation took past the deadline (a slow log write)', async () => {
    const clock = new FakeClock()
    const net = new FakeNetwork(() => clock.now())
    const events: IpfoEvent[] = []
    const engine = createEngine({
      config: configSchema.parse({
        node: 'b',
        key: '/dev/null',
        interval: '100ms',
        deadAfter: '300ms',
        links: [{ name: 'private', targets: ['10.1.0.255'] }],
        peers: [{ id: 'a', takeover: [{ interface: 'eth0', address: '10.0.0.100/24' }] }],
      }),
      keys: KEYS,
      clock,
      transport: net.transport('b', ['private']),
      address: new FakeAddressControl(() => clock.now(), 'b'),
      onEvent: (e) => {
        events.push(e)
        // Writing this event blocks the loop past the peer's deadline.
        if (e.kind === 'maintenance') clock.jump(100)
      },
    })
    await engine.start()
    const hb = (seq: number) =>
      encodeHeartbeat(
        {
          node: 'a',
          link: 'private',
          incarnation: 1,
          seq,
          sentAt: clock.wallNow(),
          intervalMs: 100,
          state: 'healthy',
          held: [],
          fit: null,
        },
        KEYS,
      )
    net.inject('b', hb(1))
    await clock.advance(250)
    events.length = 0
    engine.maintenance(true) // evaluated 50 ms before a's deadline; its event takes 100 ms to write
    await clock.advance(1_000)
    expect(events.map((e) => e.kind)).toContain('peer-lost')
  })
})
