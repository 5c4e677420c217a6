// Two real engines on a fake network and a fake clock, each with health checks whose results the
// test sets: the engine's side of issue 19 (checks run on their interval, verdicts by fall and rise,
// fitness told to the machine and to the peer, the address following it).
import { describe, expect, it } from 'vitest'
import {
  type AddressOperation,
  doubleHolds,
  FakeAddressControl,
} from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { type ConfigInput, configSchema } from '../config/schema.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import type { IpfoEvent } from '../model/events.js'
import type { HealthResult } from '../model/health.js'
import type { HealthPort } from '../model/ports.js'
import { createEngine } from './engine.js'

const KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))
const VIP = { interface: 'eth0', address: '10.0.0.100/24', requires: ['web'] }
const WEB = { kind: 'tcp', port: 80, interval: '100ms', fall: 2, rise: 2 } as const

/** A health port whose answers the test sets per node; it counts the runs. */
function settableHealth() {
  const state = { ok: true, runs: 0, closed: false }
  const port: HealthPort = {
    async run(): Promise<HealthResult> {
      state.runs++
      return state.ok ? { ok: true, detail: 'connected' } : { ok: false, detail: 'ECONNREFUSED' }
    },
    async close() {
      state.closed = true
    },
  }
  return { port, state }
}

function cluster(extra: Partial<ConfigInput> = {}) {
  const clock = new FakeClock()
  const net = new FakeNetwork(() => clock.now())
  const journal: AddressOperation[] = []
  const events: (IpfoEvent & { node: string })[] = []
  const node = (id: string, fields: Partial<ConfigInput>) => {
    const address = new FakeAddressControl(() => clock.now(), id, journal)
    const health = settableHealth()
    const engine = createEngine({
      config: configSchema.parse({
        node: id,
        key: '/dev/null',
        interval: '20ms',
        deadAfter: '60ms',
        links: [
          { name: 'private', targets: ['10.1.0.255'] },
          { name: 'public', targets: ['10.0.0.255'] },
        ],
        announce: { count: 1, interval: '10ms' },
        checks: { web: WEB },
        ...extra,
        ...fields,
      }),
      keys: KEYS,
      clock,
      transport: net.transport(id, ['private', 'public']),
      address,
      health: health.port,
      onEvent: (e) => events.push({ ...e, node: id }),
    })
    return { engine, address, health: health.state }
  }
  const a = node('a', { owns: [VIP], peers: [{ id: 'b' }] })
  const b = node('b', { peers: [{ id: 'a', takeover: [VIP] }] })
  return { clock, journal, events, a, b }
}

async function started(extra: Partial<ConfigInput> = {}) {
  const c = cluster(extra)
  await c.a.engine.start()
  await c.b.engine.start()
  await c.clock.advance(500)
  expect(c.a.address.has('10.0.0.100')).toBe(true)
  return c
}

const kindsOf = (c: { events: (IpfoEvent & { node: string })[] }, node: string) =>
  c.events.filter((e) => e.node === node).map((e) => e.kind)

describe('health checks in the engine', () => {
  it('a dead service moves the address to the fit peer after `fall` runs, and back after `rise`', async () => {
    const c = await started()
    expect(c.a.health.runs).toBeGreaterThanOrEqual(4)
    c.a.health.ok = false
    // One failed run is no verdict (fall 2).
    await c.clock.advance(100)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    await c.clock.advance(300)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(kindsOf(c, 'a')).toEqual(
      expect.arrayContaining(['check-failed', 'unfit', 'releasing', 'released']),
    )
    const failed = c.events.find((e) => e.kind === 'check-failed')
    expect(failed).toMatchObject({ node: 'a', check: 'web', detail: 'ECONNREFUSED' })
    expect(c.a.engine.status().checks).toEqual([
      expect.objectContaining({ name: 'web', kind: 'tcp', passing: false, requiredBy: ['10.0.0.100'] }),
    ])
    expect(c.a.engine.status().resources[0]).toMatchObject({ fitHere: false, failingChecks: ['web'] })

    c.a.health.ok = true
    await c.clock.advance(500)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(kindsOf(c, 'a')).toContain('check-recovered')
    expect(doubleHolds(c.journal)).toEqual([])
    await stop(c)
  })

  it('both services dead: the address stays where it is, and the holder says no node is fit', async () => {
    const c = await started()
    c.b.health.ok = false
    await c.clock.advance(300)
    c.a.health.ok = false
    await c.clock.advance(1_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(c.events.filter((e) => e.kind === 'no-node-fit')).toEqual([
      expect.objectContaining({ node: 'a', action: 'kept', reason: 'web failing' }),
    ])
    expect(c.a.engine.status().resources[0]).toMatchObject({ noNodeFit: true })
    await stop(c)
  })

  it('a check that starts failing keeps its node from taking anything until it has passed `rise` times', async () => {
    const c = cluster({ checks: { web: { ...WEB, initial: 'failing' } } })
    c.a.health.ok = false
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(500)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    c.a.health.ok = true
    await c.clock.advance(500)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(doubleHolds(c.journal)).toEqual([])
    await stop(c)
  })

  it('stops its checks (and their helper) at the stop', async () => {
    const c = await started()
    await stop(c)
    const runs = c.a.health.runs
    await c.clock.advance(1_000)
    expect(c.a.health.runs).toBe(runs)
    expect(c.a.health.closed).toBe(true)
  })
})

async function stop(c: Awaited<ReturnType<typeof started>>) {
  for (const engine of [c.b.engine, c.a.engine]) await Promise.all([engine.stop(), c.clock.advance(200)])
}
