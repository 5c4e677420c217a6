import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { IPFO_BIN } from '../src/service/agent-command.js'
import { eventMs, handoverFaults, handoverReported } from './handover.js'
import {
  type NamespacePair,
  PAIR_TIMING,
  sampleInterfaces,
  startNamespacePair,
  until,
} from './pair-harness.js'

/**
 * Real two-node failovers: namespaces, veths, a bridge, real `ip`, `arping` and `na6`, and real
 * `ipfo agent` processes. Root only; on CI a missing capability fails instead of skipping.
 */
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
let pair: NamespacePair | undefined
afterEach(async () => {
  await pair?.close()
  pair = undefined
})

/** Starts a pair that afterEach closes, whatever the test's outcome. */
async function open(opts: { ipv6?: boolean } = {}): Promise<NamespacePair> {
  pair = await startNamespacePair(opts)
  return pair
}

const holdersAre = (p: NamespacePair, expected: string) => async () =>
  (await p.stage.holders()).join() === expected
/** A killed and isolated a still has the VIP on its (unplugged) interface, as a dead machine would. */
const bHolds = (p: NamespacePair) => async () => (await p.stage.holders()).includes('b')

async function takeover(p: NamespacePair) {
  const a = p.agent('a')
  const b = p.agent('b')
  a.start()
  b.start()
  await until('a to hold the VIP', holdersAre(p, 'a'))
  // b may still be starting (a loaded machine): tests ask its control socket for status.
  await until(
    'b to hear a on every link',
    async () => (await p.status('b').catch(() => undefined))?.peers[0]?.links.every((l) => l.up) === true,
  )
  return { a, b }
}

describe.skipIf(skip !== undefined)('failover in network namespaces', () => {
  it('takes over when a dies, the client follows by gratuitous ARP, and a gets it back with no double holding', async () => {
    const p = await open()
    const { a } = await takeover(p)
    expect((await p.client('ping', ['-c', '1', '-W', '1', p.vipIp])).exitCode).toBe(0)
    expect(await p.clientNeighbourMac()).toBe(p.topology.node('a').public.mac)

    await a.kill()
    await p.stage.isolate('a')
    await until('b to hold the VIP', bHolds(p), 3_000)
    // The address shows on the interface a moment before b's log line about it is read.
    await until("b's acquired event", () => p.kinds('b').includes('acquired'), 2_000)
    expect(p.kinds('b')).toEqual(expect.arrayContaining(['peer-lost', 'acquiring', 'acquired']))
    await until(
      "the client to learn b's MAC",
      async () => (await p.clientNeighbourMac()) === p.topology.node('b').public.mac,
      2_000,
    )
    expect((await p.client('ping', ['-c', '1', '-W', '1', p.vipIp])).exitCode).toBe(0)

    await p.stage.revive('a')
    const returnedAt = Date.now()
    const a2 = p.agent('a')
    a2.start()
    const samples = await sampleInterfaces(p, until('a to hold the VIP again', holdersAre(p, 'a')))
    expect(samples.length).toBeGreaterThan(10)
    await until("b's released and a's acquired events", handoverReported(p.log, 'b', 'a', returnedAt), 2_000)
    expect(handoverFaults(samples, p.log, 'b', 'a', returnedAt, PAIR_TIMING)).toEqual([])
  })

  it('a cut private link alone is a link anomaly, not a takeover', async () => {
    const p = await open()
    await takeover(p)
    // From the cut on, by b's clock: at startup, before b first hears a, "peer-lost" is b's honest
    // first word, and that line may be read after the cut.
    const cutAt = Date.now()
    const bSince = () =>
      p.log.filter((l) => l.node === 'b' && eventMs(l.line) >= cutAt).map((l) => l.line.kind)
    await p.topology.linkDown('a', 'private')
    await until('b to report a link anomaly', () => bSince().includes('link-anomaly'), 3_000)
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await p.stage.holders()).toEqual(['a'])
    const story = p.log
      .filter((l) => eventMs(l.line) >= cutAt)
      .map((l) => `${eventMs(l.line) - cutAt}ms ${l.node} ${JSON.stringify(l.line)}`)
      .join('\n')
    expect(bSince(), `events after the cut:\n${story}`).not.toContain('peer-lost')
    const status = await p.status('b')
    expect(status.peers[0]).toMatchObject({ alive: true, anomaly: true })
    expect(status.peers[0]!.links.map((l) => `${l.name}:${l.up}`)).toEqual(['private:false', 'public:true'])
  })

  it('forged heartbeats from a third namespace do not keep a dead a alive', async () => {
    const p = await open()
    const { a } = await takeover(p)
    const bPublic = p.topology.node('b').public.ipv4
    // Heartbeats that claim to be a, signed with a key that is not the pair's, every 10 ms for 3 s.
    const forger = `
      const { encodeHeartbeat, heartbeatKey, keyRing } = await import(${JSON.stringify(new URL('../../core/dist/index.js', `file://${IPFO_BIN}`).href)})
      const { createSocket } = await import('node:dgram')
      const keys = keyRing(heartbeatKey(Buffer.alloc(32, 0x66)))
      const socket = createSocket('udp4')
      let seq = 0
      const timer = setInterval(() => {
        for (const link of ['private', 'public']) {
          const hb = { node: 'a', link, incarnation: Date.now(), seq: ++seq, sentAt: Date.now(), intervalMs: 50, state: 'healthy', held: [] }
          socket.send(encodeHeartbeat(hb, keys), 1694, ${JSON.stringify(bPublic)})
        }
      }, 10)
      setTimeout(() => { clearInterval(timer); socket.close() }, 3000)
    `
    const forging = p.client(process.execPath, ['--input-type=module', '-e', forger])
    // The forger is a fresh node process: start the fault only once its packets arrive.
    await until(
      'the forgeries to reach b',
      async () => ((await p.status('b')).counters.dropped['bad-mac'] ?? 0) > 0,
      5_000,
    )
    await a.kill()
    await p.stage.isolate('a')
    await until('b to take over despite the forgeries', bHolds(p), 3_000)
    await forging
    const status = await p.status('b')
    expect(status.counters.dropped['bad-mac']).toBeGreaterThan(10)
    expect(p.kinds('b')).toContain('packet-dropped')
  })

  it('a restarted b reconciles the VIP it holds: no second add, no moment without it', async () => {
    const p = await open()
    const { a, b } = await takeover(p)
    await a.kill()
    await p.stage.isolate('a')
    await until('b to hold the VIP', bHolds(p), 3_000)
    await b.kill()
    const before = p.log.length
    const b2 = p.agent('b')
    b2.start()
    const restarted = () => p.log.slice(before).some((l) => l.node === 'b' && l.line.kind === 'agent-started')
    const samples = await sampleInterfaces(p, until('b to start again', restarted))
    await new Promise((r) => setTimeout(r, 500))
    samples.push(await p.stage.holders())
    expect(samples.every((s) => s.includes('b'))).toBe(true)
    const after = p.log.slice(before).filter((l) => l.node === 'b')
    expect(after.find((l) => l.line.kind === 'reconciled')?.line.present).toEqual([p.stage.vip])
    expect(after.map((l) => l.line.kind)).not.toContain('acquiring')
    expect((await p.status('b')).held).toEqual([p.stage.vip])
  })
})

describe.skipIf(skip !== undefined)('IPv6 failover in network namespaces', () => {
  it('takes over an IPv6 VIP, the client follows the neighbour advertisement, and a gets it back', async () => {
    const p = await open({ ipv6: true })
    const { a } = await takeover(p)
    // One echo, resent for up to 3 s: neighbour discovery for a just-added IPv6 address can take a moment.
    expect((await p.client('ping', ['-6', '-c', '1', '-w', '3', p.vipIp])).exitCode).toBe(0)
    expect(await p.clientNeighbourMac()).toBe(p.topology.node('a').public.mac)

    await a.kill()
    await p.stage.isolate('a')
    await until('b to hold the VIP', bHolds(p), 3_000)
    await until(
      "the client to learn b's MAC",
      async () => (await p.clientNeighbourMac()) === p.topology.node('b').public.mac,
      2_000,
    )
    expect((await p.client('ping', ['-6', '-c', '1', '-w', '3', p.vipIp])).exitCode).toBe(0)

    await p.stage.revive('a')
    const returnedAt = Date.now()
    p.agent('a').start()
    const samples = await sampleInterfaces(p, until('a to hold the VIP again', holdersAre(p, 'a')))
    await until("b's released and a's acquired events", handoverReported(p.log, 'b', 'a', returnedAt), 2_000)
    expect(handoverFaults(samples, p.log, 'b', 'a', returnedAt, PAIR_TIMING)).toEqual([])
  })
})

if (skip) {
  describe('failover in network namespaces', () => {
    it.skip(`skipped: ${skip}`, () => {})
  })
}
