// Longer than most files: two real engines on a fake network and a fake clock, one shared cluster
// setup; each case is the engine's side of one behaviour the state machine's tables decide.
import { describe, expect, it } from 'vitest'
import { engineConfig, TEST_KEYS, TEST_VIP } from '../../test/fakes/engine-nodes.js'
import {
  type AddressOperation,
  doubleHolds,
  FakeAddressControl,
} from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { held, vip } from '../../test/fakes/machine-simulation.js'
import { RecordingHooks } from '../../test/fakes/recording-hooks.js'
import type { ConfigInput } from '../config/schema.js'
import { decodeHeartbeat, encodeHeartbeat } from '../heartbeat/codec.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import type { AdvertisedAddress } from '../model/advertised.js'
import { describeEvent } from '../model/describe-event.js'
import type { IpfoEvent } from '../model/events.js'
import type { CarrierWatch, Clock, GuardPort, TakeoverTrace } from '../model/ports.js'
import { createEngine } from './engine.js'

const KEYS = TEST_KEYS
const VIP = TEST_VIP

/** The shared engine-test config, announcing twice. */
function config(node: string, extra: Partial<ConfigInput>) {
  return engineConfig(node, { announce: { count: 2, interval: '10ms' }, ...extra })
}

/** Two engines on an in-memory network with a shared fake clock: A owns the VIP, B watches A. */
function cluster(bExtra: { trace?: TakeoverTrace; guard?: GuardPort } = {}) {
  const clock = new FakeClock()
  const net = new FakeNetwork(() => clock.now())
  const journal: AddressOperation[] = []
  const events: IpfoEvent[] = []
  const order: string[] = []
  const node = (
    id: string,
    extra: Partial<ConfigInput>,
    carrier?: CarrierWatch,
    more: { trace?: TakeoverTrace; guard?: GuardPort } = {},
  ) => {
    const address = new FakeAddressControl(() => clock.now(), id, journal)
    const hooks = new RecordingHooks((what) => order.push(`${id}:${what}`))
    const add = address.add.bind(address)
    address.add = async (a) => {
      order.push(`${id}:add`)
      await add(a)
    }
    const engine = createEngine({
      config: config(id, extra),
      keys: KEYS,
      clock,
      transport: net.transport(id, ['private', 'public']),
      address,
      hooks,
      ...(carrier ? { carrier } : {}),
      ...more,
      onEvent: (e) => events.push(e),
    })
    return { engine, address, hooks }
  }
  const aCarrier = fakeCarrier()
  const a = node('a', { owns: [VIP], peers: [{ id: 'b' }] }, aCarrier.watch)
  const b = node('b', { peers: [{ id: 'a', takeover: [VIP] }] }, undefined, bExtra)
  return { clock, net, journal, events, order, a, b, aCarrier }
}

/** A carrier watch the test drives: every interface up at start unless `down` lists it. */
function fakeCarrier(down: readonly string[] = []) {
  let report: (iface: string, up: boolean) => void = () => undefined
  const watched: string[] = []
  const watch: CarrierWatch = {
    async start(interfaces, onChange) {
      watched.push(...interfaces)
      report = onChange
      return Object.fromEntries(interfaces.map((i) => [i, !down.includes(i)]))
    },
    close() {},
  }
  return { watch, watched, set: (iface: string, up: boolean) => report(iface, up) }
}

/** Stops engines while the fake clock moves, so checklists still running (announce waits) can end. */
async function stopAll(clock: FakeClock, ...engines: { stop(): Promise<void> }[]) {
  for (const engine of engines) await Promise.all([engine.stop(), clock.advance(200)])
}

/** A stopped (releasing, saying goodbye) and B took over at once: where a returning owner starts. */
async function aLeftBHolds() {
  const c = cluster()
  await c.a.engine.start()
  await c.b.engine.start()
  await c.clock.advance(1_000)
  await stopAll(c.clock, c.a.engine)
  await c.clock.advance(50)
  expect(c.b.address.has('10.0.0.100')).toBe(true)
  return c
}

/**
 * Makes b's address removal take `ms` of clock time, as a real PreRel hook and `ip addr del` do: long
 * enough for a returning a to hear b still holding, and to wait.
 */
function slowRemoval(c: ReturnType<typeof cluster>, ms = 50) {
  const remove = c.b.address.remove.bind(c.b.address)
  c.b.address.remove = async (a) => {
    await new Promise<void>((resolve) => c.clock.setTimeout(resolve, ms))
    await remove(a)
  }
}

/** A new engine for node a, on the same network and interfaces: its agent started again. */
function restartedA(c: ReturnType<typeof cluster>) {
  return createEngine({
    config: config('a', { owns: [VIP], peers: [{ id: 'b' }] }),
    keys: KEYS,
    clock: c.clock,
    transport: c.net.transport('a', ['private', 'public']),
    address: c.a.address,
    onEvent: (e) => c.events.push(e),
  })
}

describe('engine: two nodes on a fake network', () => {
  it('the owner claims its VIP at start; the watcher takes over when every link goes silent, in checklist order', async () => {
    const c = cluster()
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(1_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)

    c.net.setCut('a', 'private', true)
    await c.clock.advance(1_000)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(c.events.some((e) => e.kind === 'link-anomaly' && e.peer === 'a')).toBe(true)

    const cutAt = c.clock.now()
    c.net.setCut('a', 'public', true)
    c.order.length = 0
    await c.clock.advance(1_000)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(c.order.filter((o) => o.startsWith('b:'))).toEqual(['b:Test', 'b:PreAcq', 'b:add', 'b:PostAcq'])
    const lost = c.events.find((e) => e.kind === 'peer-lost')!
    expect(lost.time - c.clock.epoch - cutAt).toBeGreaterThan(200)
    expect(lost.time - c.clock.epoch - cutAt).toBeLessThanOrEqual(300)
    expect(c.b.address.log.map((l) => l.op)).toEqual(['add', 'announce'])
    await stopAll(c.clock, c.a.engine, c.b.engine)
  })

  it("a's cables pulled while its agent runs: a lets the VIP go, b takes it, and back it returns with no moment held twice", async () => {
    const c = cluster()
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(1_000)
    expect(c.aCarrier.watched).toEqual(['eth0'])
    expect(c.a.address.has('10.0.0.100')).toBe(true)

    for (const link of ['private', 'public']) c.net.setCut('a', link, true)
    c.aCarrier.set('eth0', false)
    await c.clock.advance(1_000)
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    expect(c.a.engine.status().noCarrier).toEqual(['eth0'])

    const before = c.a.engine.status().counters
    const sentBefore = before.sent
    const perLink = { private: before.links.private!.sent, public: before.links.public!.sent }
    for (const link of ['private', 'public']) c.net.setCut('a', link, false)
    c.aCarrier.set('eth0', true)
    // Heartbeats go out at once, not at the next interval: one on each link.
    const after = c.a.engine.status().counters
    expect(after.sent).toBe(sentBefore + 2)
    expect(after.links.private!.sent).toBe(perLink.private + 1)
    expect(after.links.public!.sent).toBe(perLink.public + 1)
    await c.clock.advance(2_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(c.journal.map((o) => `${o.node}:${o.op}`).filter((o) => !o.endsWith('announce'))).toEqual([
      'a:add',
      'a:remove',
      'b:add',
      'b:remove',
      'a:add',
    ])
    expect(doubleHolds(c.journal)).toEqual([])
    const kinds = c.events.filter((e) => e.kind.startsWith('carrier-')).map((e) => e.kind)
    expect(kinds).toEqual(['carrier-lost', 'carrier-restored'])
    await stopAll(c.clock, c.a.engine, c.b.engine)
  })

  it("a silent a comes back holding during b's PreAcq: b stops short of its add, never holding the VIP", async () => {
    const c = cluster()
    // b's PreAcq hook takes 150 ms, as a real one that mounts a volume does.
    const runPhase = c.b.hooks.runPhase.bind(c.b.hooks)
    c.b.hooks.runPhase = async (phase, ctx, run) => {
      if (phase === 'PreAcq') await new Promise<void>((resolve) => c.clock.setTimeout(resolve, 150))
      return runPhase(phase, ctx, run)
    }
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(1_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)

    // a is silent a little over deadAfter (a stall), then heard again, still holding.
    for (const link of ['private', 'public']) c.net.setCut('a', link, true)
    await c.clock.advance(330)
    expect(c.events.map((e) => e.kind)).toContain('acquiring')
    for (const link of ['private', 'public']) c.net.setCut('a', link, false)
    await c.clock.advance(1_000)

    expect(c.events).toContainEqual(
      expect.objectContaining({ kind: 'acquire-yielding', owner: 'a', holder: 'a' }),
    )
    expect(c.order.filter((o) => o.startsWith('b:'))).toEqual(['b:Test', 'b:PreAcq', 'b:PreRel', 'b:PostRel'])
    expect(c.journal.filter((o) => o.node === 'b')).toEqual([])
    expect(c.b.engine.status().resources.find((r) => r.owner === 'a')?.status).toBe('idle')
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    await stopAll(c.clock, c.a.engine, c.b.engine)
  })

  it("marks a takeover's steps for a trace, in the turn that decided it: the decision, the checklist's start, the guard told", async () => {
    const marks: string[] = []
    const c = cluster({
      trace: { turn: () => marks.push('turn'), mark: (step) => marks.push(step) },
      // The guard's brief comes before its mark.
      guard: { brief: () => marks.push('brief'), lastWord: () => undefined },
    })
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(1_000)
    expect(marks.filter((m) => m !== 'turn' && m !== 'brief')).toEqual([])
    c.net.setCut('a', 'private', true)
    c.net.setCut('a', 'public', true)
    await c.clock.advance(1_000)
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    // One turn's: the decision, the checklist's start and the guard told, no turn between.
    const decided = marks.indexOf('decided')
    expect(marks.slice(decided - 1, decided + 4)).toEqual(['turn', 'decided', 'checklist', 'brief', 'guard'])
    expect(marks.filter((m) => m !== 'turn' && m !== 'brief')).toEqual(['decided', 'checklist', 'guard'])
    await stopAll(c.clock, c.a.engine, c.b.engine)
  })

  it('a carrier watch that cannot start is an error event; the engine runs without it', async () => {
    const c = cluster()
    const events: IpfoEvent[] = []
    const engine = createEngine({
      config: config('z', { owns: [VIP], peers: [{ id: 'b' }] }),
      keys: KEYS,
      clock: c.clock,
      transport: c.net.transport('z', ['private', 'public']),
      address: c.a.address,
      carrier: {
        start: () => Promise.reject(new Error('ip -o monitor link: spawn ip ENOENT')),
        close() {},
      },
      onEvent: (e) => events.push(e),
    })
    await engine.start()
    await c.clock.advance(1_000)
    expect(events.find((e) => e.kind === 'error')).toMatchObject({
      context: 'carrier watch',
      message: 'ip -o monitor link: spawn ip ENOENT; carriers are not watched',
    })
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    await stopAll(c.clock, engine)
  })

  it('a returning owner waits for the release: no moment with the VIP held twice', async () => {
    const c = await aLeftBHolds()
    slowRemoval(c)
    const a2 = restartedA(c)
    await a2.start()
    await c.clock.advance(2_000)
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    expect(c.b.address.has('10.0.0.100')).toBe(false)
    expect(c.events.map((e) => e.kind)).toContain('claim-waiting')
    expect(c.journal.map((o) => `${o.node}:${o.op}`).filter((o) => !o.endsWith('announce'))).toEqual([
      'a:add',
      'a:remove',
      'b:add',
      'b:remove',
      'a:add',
    ])
    expect(doubleHolds(c.journal)).toEqual([])
    await stopAll(c.clock, a2, c.b.engine)
  })

  it('a start-up slower than deadAfter is not silence: a returning owner still waits for the release', async () => {
    const c = await aLeftBHolds()
    slowRemoval(c)

    // Reading the interfaces takes 500 ms (a loaded host): longer than deadAfter, before any socket is open.
    const present = c.a.address.present.bind(c.a.address)
    c.a.address.present = async (candidates) => {
      await new Promise<void>((resolve) => c.clock.setTimeout(resolve, 500))
      return present(candidates)
    }
    const a2 = restartedA(c)
    const eventsBefore = c.events.length
    await Promise.all([a2.start(), c.clock.advance(600)])
    await c.clock.advance(2_000)
    const aEvents = c.events.slice(eventsBefore)
    expect(aEvents.map((e) => e.kind)).toContain('claim-waiting')
    expect(aEvents.find((e) => e.kind === 'peer-lost' && e.peer === 'b')).toBeUndefined()
    expect(doubleHolds(c.journal)).toEqual([])
    expect(c.a.address.has('10.0.0.100')).toBe(true)
    await stopAll(c.clock, a2, c.b.engine)
  })

  it('rehearses its takeover at start and every minute without touching anything, and still takes over for real', async () => {
    const c = cluster()
    await c.a.engine.start()
    const rehearsed: IpfoEvent[] = []
    const real: IpfoEvent[] = []
    const address = new FakeAddressControl(() => c.clock.now(), 'b2', c.journal)
    const b = createEngine({
      config: config('b2', { peers: [{ id: 'a', takeover: [VIP] }] }),
      keys: KEYS,
      clock: c.clock,
      transport: c.net.transport('b2', ['private', 'public']),
      address,
      hooks: new RecordingHooks((what) => c.order.push(`b2:${what}`)),
      onEvent: (e) => real.push(e),
      rehearsal: { onEvent: (e) => rehearsed.push(e) },
    })
    await b.start()
    // What a hears of b2, sampled as time goes: a heartbeat carrying the rehearsed acquire would show.
    const aHeardB2Holding: string[] = []
    const advance = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        await c.clock.advance(50)
        const held = c.a.engine.state().peers.b2?.held ?? []
        if (held.length > 0) aHeardB2Holding.push(JSON.stringify(held))
      }
    }
    await advance(500)
    const kinds = (events: IpfoEvent[]) => events.map((e) => e.kind)
    // The whole takeover ran, in order, into the rehearsal's sink...
    expect(kinds(rehearsed)).toEqual(
      expect.arrayContaining(['peer-lost', 'acquiring', 'acquired', 'announced', 'notify']),
    )
    expect(rehearsed.find((e) => e.kind === 'acquiring')).toMatchObject({ owner: 'a', reason: 'peer a lost' })
    // ...and nowhere else: no address change or announcement, no hook, no heartbeat saying so, no real event.
    expect(address.log).toEqual([])
    expect(c.order.filter((o) => o.startsWith('b2:'))).toEqual([])
    expect(aHeardB2Holding).toEqual([])
    expect(kinds(real)).not.toContain('peer-lost')
    expect(kinds(real)).not.toContain('acquiring')
    expect(b.state().resources.a?.status).toBe('idle')
    expect(b.state().peers.a?.lost).toBe(false)

    await advance(60_000)
    expect(rehearsed.filter((e) => e.kind === 'acquired')).toHaveLength(2)

    // The real takeover after rehearsals: every step, for real.
    c.net.setCut('a', 'private', true)
    c.net.setCut('a', 'public', true)
    await advance(1_000)
    expect(address.has('10.0.0.100')).toBe(true)
    expect(c.order.filter((o) => o.startsWith('b2:'))).toEqual(['b2:Test', 'b2:PreAcq', 'b2:PostAcq'])
    expect(kinds(real)).toEqual(expect.arrayContaining(['peer-lost', 'acquiring', 'acquired']))
    await stopAll(c.clock, c.a.engine, b)
  })

  it('heartbeats read in one turn are judged together: a stale "free" then "held" starts no claim', async () => {
    const c = await aLeftBHolds()
    // Nothing of b's own reaches a: the two heartbeats below, read in one turn, are all a hears of b.
    c.net.setCut('b', 'private', true)
    c.net.setCut('b', 'public', true)
    const last = c.net.sent.findLast((s) => s.from === 'b' && decodeHeartbeat(s.data, KEYS).ok)!
    const decoded = decodeHeartbeat(last.data, KEYS)
    if (!decoded.ok) throw new Error('b sent no readable heartbeat')
    const b = decoded.heartbeat
    const a2 = restartedA(c)
    await a2.start()
    const beat = (n: number, ago: number, held: AdvertisedAddress[]) =>
      encodeHeartbeat({ ...b, seq: b.seq + n, sentAt: c.clock.wallNow() - ago, held }, KEYS)
    c.net.inject('a', beat(1, 20, []))
    c.net.inject('a', beat(2, 5, [held(vip('10.0.0.100'))]))
    await c.clock.advance(100)
    // Judged one by one, the first alone (b holds nothing) would have started a's add.
    expect(c.a.address.has('10.0.0.100')).toBe(false)
    expect(c.events.map((e) => e.kind)).toContain('claim-waiting')
    await stopAll(c.clock, a2, c.b.engine)
  })

  it('forged and replayed heartbeats do not keep a dead peer alive, and are counted', async () => {
    const c = cluster()
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(500)
    const captured = c.net.sent.filter((s) => s.from === 'a').map((s) => s.data)
    c.net.setCut('a', 'private', true)
    c.net.setCut('a', 'public', true)
    const forger = keyRing(heartbeatKey(Buffer.alloc(32, 9)))
    for (let i = 0; i < 10; i++) {
      await c.clock.advance(50)
      c.net.inject('b', captured[i % captured.length]!)
      const forged = {
        node: 'a',
        link: 'private',
        incarnation: Date.now() * 2,
        seq: 1e6 + i,
        sentAt: 0,
        intervalMs: 100,
      }
      c.net.inject('b', encodeHeartbeat({ ...forged, state: 'healthy', held: [], fit: null }, forger))
    }
    expect(c.b.address.has('10.0.0.100')).toBe(true)
    const { dropped, links } = c.b.engine.status().counters
    expect(dropped.replay).toBe(10)
    expect(dropped['bad-mac']).toBe(10)
    // Per link: the replays say theirs; a forged packet fails to decode and says none.
    const replayed = Object.values(links).reduce((n, l) => n + (l.dropped.replay ?? 0), 0)
    expect(replayed).toBe(10)
    expect(Object.values(links).every((l) => l.dropped['bad-mac'] === undefined)).toBe(true)
    await stopAll(c.clock, c.a.engine, c.b.engine)
  })

  it('counts how late each heartbeat timer fired, in a histogram of fixed bounds', async () => {
    const c = cluster()
    await c.a.engine.start()
    // Beats every 100 ms from 1000 to 2000, on time; then the one due at 2100 fires at 2137, and the
    // one due at 2200 at 2600.
    await c.clock.advance(1_000)
    c.clock.jump(137)
    await c.clock.advance(50)
    c.clock.jump(413)
    await c.clock.advance(50)
    const { beatLag, maxLoopLagMs } = c.a.engine.status().counters
    const at = (bound: number) => beatLag.counts[beatLag.boundsMs.indexOf(bound)]
    expect(beatLag.counts.reduce((n, k) => n + k, 0)).toBe(13)
    expect(at(0)).toBe(11)
    expect(at(50)).toBe(1)
    expect(at(1000)).toBe(1)
    expect(beatLag.sumMs).toBe(437)
    expect(maxLoopLagMs).toBe(400)
    await stopAll(c.clock, c.a.engine)
  })

  it('says how much CPU the agent used across a stall: its own work, or time it was not run', async () => {
    const c = cluster()
    let cpuMicros = 0
    ;(c.clock as Clock).cpuMicros = () => cpuMicros
    await c.a.engine.start()
    await c.clock.advance(1_000)
    const stalls = () => c.events.flatMap((e) => (e.kind === 'loop-stalled' ? [e] : []))
    // Busy: 230 ms of CPU across a 250 ms stall.
    cpuMicros += 230_000
    c.clock.jump(250)
    await c.clock.advance(50)
    // Not run: 4 ms of CPU across a 300 ms stall (a frozen VM, a host busy elsewhere).
    cpuMicros += 4_000
    c.clock.jump(300)
    await c.clock.advance(50)
    // Each over the whole time since the beat before: the stall and the interval before it.
    expect(stalls().map((e) => [e.ranMs, (e.spanMs ?? 0) - e.stalledMs])).toEqual([
      [230, 100],
      [4, 100],
    ])
    expect(describeEvent(stalls()[0]!)).toMatch(
      /ran 230ms of CPU in the \d+ms since the beat before: busy itself/,
    )
    expect(describeEvent(stalls()[1]!)).toMatch(
      /ran 4ms of CPU in the \d+ms since the beat before: mostly it was not running/,
    )
    await stopAll(c.clock, c.a.engine)
  })

  it('runs an afterNextBeat callback right after the next heartbeat went out, once', async () => {
    const c = cluster()
    await c.a.engine.start()
    await c.clock.advance(30)
    const sentBy = () => c.net.sent.filter((p) => p.from === 'a').length
    const runs: { at: number; sent: number }[] = []
    const before = sentBy()
    c.a.engine.afterNextBeat(() => runs.push({ at: c.clock.now(), sent: sentBy() }))
    await c.clock.advance(60)
    // Not before the beat due at 100 ms from the start.
    expect(runs).toEqual([])
    await c.clock.advance(20)
    // The beat is out on both links, and nothing else ran in between.
    expect(runs).toEqual([{ at: c.clock.now() - 10, sent: before + 2 }])
    await c.clock.advance(300)
    expect(runs).toHaveLength(1)
    await stopAll(c.clock, c.a.engine)
  })

  it('reports a detection time, held addresses and per-link state in status', async () => {
    const c = cluster()
    await c.a.engine.start()
    await c.b.engine.start()
    await c.clock.advance(1_000)
    const status = c.b.engine.status()
    // What b accepted from a, link by link, adds up to what it accepted in all.
    const links = status.counters.links
    expect(Object.keys(links).sort()).toEqual(['private', 'public'])
    expect(links.private!.received.a).toBeGreaterThan(0)
    expect(links.public!.received.a).toBeGreaterThan(0)
    expect(links.private!.received.a! + links.public!.received.a!).toBe(status.counters.received)
    expect(status.timing).toEqual({ intervalMs: 100, deadAfterMs: 300, detectionMs: 300 })
    expect(status.peers[0]).toMatchObject({
      id: 'a',
      alive: true,
      held: ['10.0.0.100/24'],
      intervalMs: 100,
      clockOffsetMs: 0,
    })
    expect(status.peers[0]!.links.map((l) => l.up)).toEqual([true, true])
    expect(c.a.engine.status().held).toEqual(['10.0.0.100/24'])
    await stopAll(c.clock, c.a.engine, c.b.engine)
  })

  it('keeps reported hook refusals in status, one per path, newest first', async () => {
    const c = cluster()
    await c.b.engine.start()
    const refusal = (reason: string) => ({
      kind: 'hook-refused' as const,
      phase: 'PreAcq' as const,
      path: '/etc/ipfo/hooks/10.0.0.100/PreAcq-10-x',
      reason,
      fix: 'chmod go-w /etc/ipfo/hooks/10.0.0.100/PreAcq-10-x',
    })
    c.b.engine.report(refusal('writable by others'))
    c.b.engine.report(refusal('writable by its group'))
    expect(c.b.engine.status().refusedHooks).toEqual([
      {
        path: '/etc/ipfo/hooks/10.0.0.100/PreAcq-10-x',
        reason: 'writable by its group',
        fix: 'chmod go-w /etc/ipfo/hooks/10.0.0.100/PreAcq-10-x',
      },
    ])
    expect(c.b.engine.recentEvents().filter((e) => e.kind === 'hook-refused')).toHaveLength(2)
    await stopAll(c.clock, c.b.engine)
  })
})
