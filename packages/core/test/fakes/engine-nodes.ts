import { type ConfigInput, configSchema } from '../../src/config/schema.js'
import { createEngine } from '../../src/engine/engine.js'
import { heartbeatKey, keyRing } from '../../src/heartbeat/key-ring.js'
import type { IpfoEvent } from '../../src/model/events.js'
import { type AddressOperation, FakeAddressControl } from './fake-address-control.js'
import { FakeClock } from './fake-clock.js'
import { FakeNetwork } from './fake-network.js'
import { FreezableClock } from './freezable-clock.js'

/** The heartbeat key every engine test's nodes share. */
export const TEST_KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))
export const TEST_VIP = { interface: 'eth0', address: '10.0.0.100/24' }
export const TEST_LINKS = ['private', 'public'] as const

/** A node's config with the engine tests' timing: 100 ms heartbeats, 300 ms deadAfter, two links. */
export function engineConfig(node: string, extra: Partial<ConfigInput>) {
  return configSchema.parse({
    node,
    key: '/dev/null',
    interval: '100ms',
    deadAfter: '300ms',
    links: [
      { name: 'private', targets: ['10.1.0.255'] },
      { name: 'public', targets: ['10.0.0.255'] },
    ],
    announce: { count: 1, interval: '10ms' },
    ...extra,
  })
}

export interface TimedEvent {
  readonly node: string
  readonly at: number
  readonly event: IpfoEvent
}

/**
 * Real engines on one fake network and one fake clock, a node per entry of `configs`. Each node's
 * own clock can be frozen (its timers wait, its sockets fill) while the others run.
 */
export function engineNodes(configs: Record<string, Partial<ConfigInput>>) {
  const clock = new FakeClock()
  const net = new FakeNetwork(() => clock.now())
  const journal: AddressOperation[] = []
  const events: TimedEvent[] = []
  const nodes = Object.fromEntries(
    Object.entries(configs).map(([id, extra]) => {
      const own = new FreezableClock(clock)
      const address = new FakeAddressControl(() => clock.now(), id, journal)
      const engine = createEngine({
        config: engineConfig(id, extra),
        keys: TEST_KEYS,
        clock: own,
        transport: net.transport(id, TEST_LINKS),
        address,
        onEvent: (event) => events.push({ node: id, at: clock.now(), event }),
      })
      return [id, { engine, address, clock: own }]
    }),
  )
  const node = (id: string) => {
    const n = nodes[id]
    if (!n) throw new Error(`no node ${id} in this test`)
    return n
  }
  return {
    clock,
    net,
    journal,
    events,
    node,
    async start(settleMs = 1_000): Promise<void> {
      for (const n of Object.values(nodes)) await n.engine.start()
      await clock.advance(settleMs)
    },
    /** Cuts (or restores) every link of a node: nothing it sends arrives, nothing reaches it. */
    cut(id: string, isCut: boolean): void {
      for (const link of TEST_LINKS) net.setCut(id, link, isCut)
    },
    /** Stops the node's process: no timer runs, its sockets fill. */
    freeze(id: string): void {
      node(id).clock.freeze()
      net.hold(id, true)
    },
    /** Resumes it: queued packets are read first, then the timers that fell due. */
    thaw(id: string): void {
      node(id).clock.thaw(() => net.hold(id, false))
    },
    /** Stops every engine while the clock moves, so running checklists can end. */
    async stop(): Promise<void> {
      for (const n of Object.values(nodes)) await Promise.all([n.engine.stop(), clock.advance(200)])
    },
  }
}

/** Events of one kind seen by one node. */
export const eventsOf = <K extends IpfoEvent['kind']>(events: readonly TimedEvent[], node: string, kind: K) =>
  events.filter(
    (e): e is TimedEvent & { event: Extract<IpfoEvent, { kind: K }> } =>
      e.node === node && e.event.kind === kind,
  )
