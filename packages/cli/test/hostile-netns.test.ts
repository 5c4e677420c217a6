import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { IPFO_BIN } from '../src/service/agent-command.js'
import { eventMs } from './handover.js'
import { type NamespacePair, startNamespacePair, until } from './pair-harness.js'

/**
 * Hostile packets against a real agent: heartbeats captured off the wire and replayed after the
 * receiver restarted, validly signed heartbeats from a node nobody configured, oversized packets,
 * and a flood of random UDP during a failover. Each drop is counted in `ipfo status`.
 */
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
let pair: NamespacePair | undefined
let work: string | undefined
afterEach(async () => {
  await pair?.close()
  pair = undefined
  if (work) await rm(work, { recursive: true, force: true })
  work = undefined
})

const CORE = new URL('../../core/dist/index.js', `file://${IPFO_BIN}`).href

async function open() {
  pair = await startNamespacePair()
  work = await mkdtemp(join(tmpdir(), 'ipfo-hostile-'))
  const p = pair
  const a = p.agent('a')
  a.start()
  await until('a to hold the VIP', async () => (await p.stage.holders()).join() === 'a')
  const b = p.agent('b')
  b.start()
  await until(
    'b to hear a',
    async () => (await p.status('b').catch(() => undefined))?.peers[0]?.alive === true,
  )
  return { p, a, b }
}

/** UDP payloads of a pcap file (Ethernet, IPv4, UDP). */
function pcapPayloads(pcap: Buffer): Buffer[] {
  const out: Buffer[] = []
  let at = 24
  while (at + 16 <= pcap.length) {
    const length = pcap.readUInt32LE(at + 8)
    const frame = pcap.subarray(at + 16, at + 16 + length)
    at += 16 + length
    const ihl = (frame[14]! & 0x0f) * 4
    out.push(Buffer.from(frame.subarray(14 + ihl + 8)))
  }
  return out
}

/** Runs a Node script in the client namespace (it sends to b like any host on the public network). */
function fromClient(p: NamespacePair, script: string) {
  return p.client(process.execPath, ['--input-type=module', '-e', script])
}

async function dropped(p: NamespacePair, node: 'a' | 'b') {
  return (await p.status(node)).counters.dropped
}

describe.skipIf(skip !== undefined)('hostile packets in network namespaces', () => {
  it('captured heartbeats replayed after b restarts are rejected (a stays dead); foreign-node and oversized packets are counted', async () => {
    const { p, a, b } = await open()
    const bNs = p.topology.node('b').ns
    const aPublic = p.topology.node('a').public.ipv4
    const bPublic = p.topology.node('b').public.ipv4
    const pcap = join(work!, 'a.pcap')
    const capture = await p.topology.exec(bNs, 'tcpdump', [
      '-i',
      'pub0',
      '-c',
      '6',
      '-w',
      pcap,
      '-U',
      `udp port 1694 and src ${aPublic}`,
    ])
    expect(capture.exitCode, capture.stderr).toBe(0)
    const captured = pcapPayloads(await readFile(pcap))
    expect(captured).toHaveLength(6)
    // b saves its replay marks at most every second: let it save marks past the capture.
    await new Promise((r) => setTimeout(r, 1_500))

    await a.kill()
    await p.stage.isolate('a')
    await until('b to take the VIP', async () => (await p.stage.holders()).includes('b'), 3_000)
    await b.kill() // a crash: b gets no chance to save anything more
    const restartedAt = p.log.length
    p.agent('b').start()
    await until('b to be back', async () => (await p.status('b').catch(() => undefined)) !== undefined)

    const key = JSON.parse(await readFile(p.files.config.b, 'utf8')).key as string
    const replay = await fromClient(
      p,
      `
      const { encodeHeartbeat, heartbeatKey, keyRing } = await import(${JSON.stringify(CORE)})
      const { readKeyFile } = await import(${JSON.stringify(CORE.replace('index.js', 'agent/index.js'))})
      const { createSocket } = await import('node:dgram')
      const socket = createSocket('udp4')
      const send = (buf) => new Promise((r) => socket.send(buf, 1694, ${JSON.stringify(bPublic)}, r))
      const captured = ${JSON.stringify(captured.map((c) => c.toString('base64')))}.map((s) => Buffer.from(s, 'base64'))
      const keys = keyRing(heartbeatKey(await readKeyFile(${JSON.stringify(key)})))
      for (let round = 0; round < 5; round++) for (const packet of captured) await send(packet)
      for (let seq = 1; seq <= 5; seq++) {
        await send(encodeHeartbeat({ node: 'mallory', link: 'public', incarnation: Date.now(), seq, sentAt: Date.now(), intervalMs: 50, state: 'healthy', held: [] }, keys))
        await send(Buffer.alloc(2000, seq))
      }
      socket.close()
      `,
    )
    expect(replay.exitCode, replay.stderr).toBe(0)
    await until('b to count the drops', async () => ((await dropped(p, 'b')).replay ?? 0) >= 30, 3_000)
    const counts = await dropped(p, 'b')
    expect(counts).toMatchObject({ replay: 30, 'unknown-node': 5, oversized: 5 })
    await new Promise((r) => setTimeout(r, 300))
    const kinds = p.log
      .slice(restartedAt)
      .filter((l) => l.node === 'b')
      .map((l) => l.line.kind)
    expect(kinds).not.toContain('peer-restored')
    expect(kinds).not.toContain('releasing')
    expect(await p.stage.holders()).toContain('b')
    expect((await p.status('b')).peers[0]?.alive).toBe(false)
  })

  it('a flood of random UDP on the heartbeat port during failovers: no false takeover, and takeovers as quick as in the quiet case, within a heartbeat timeout', async () => {
    const { p } = await open()
    const bPublic = p.topology.node('b').public.ipv4
    const quiet: number[] = []
    const flooded: number[] = []
    let garbage = 0
    /** Peers b declared lost while a was alive and flooded: false takeovers. */
    const falselyLost: string[] = []
    for (let run = 0; run < 10; run++) {
      const flood = run % 2 === 1
      if (run > 0) {
        await p.stage.revive('a')
        p.agent('a').start()
        await until('a to hold the VIP again', async () => (await p.stage.holders()).join() === 'a', 10_000)
        await until('b to hear a', async () => (await p.status('b')).peers[0]?.alive === true)
      }
      const sender = flood
        ? fromClient(
            p,
            `
            const { createSocket } = await import('node:dgram')
            const { randomBytes } = await import('node:crypto')
            const socket = createSocket('udp4')
            let sent = 0
            const end = Date.now() + 1500
            while (Date.now() < end) {
              await new Promise((r) => socket.send(randomBytes(1 + (sent % 1200)), 1694, ${JSON.stringify(bPublic)}, r))
              sent++
            }
            socket.close()
            console.log(sent)
            `,
          )
        : undefined
      const floodFrom = Date.now()
      if (flood) await new Promise((r) => setTimeout(r, 300))
      const killAt = Date.now()
      const since = p.log.length
      const agentA = [...(await import('../src/demo/agent-process.js')).AgentProcess.live].find(
        (x) => x.node === 'a',
      )
      await agentA?.kill()
      await p.stage.isolate('a')
      const taker = await until(
        'b to acquire',
        () => {
          const lines = p.log
            .slice(since)
            .filter((l) => l.node === 'b')
            .map((l) => l.line as Record<string, unknown>)
          const lost = lines.find((l) => l.kind === 'peer-lost')
          const acquired = lines.find((l) => l.kind === 'acquired')
          return lost && acquired ? { lost, acquired } : undefined
        },
        5_000,
      )
      // As b saw it, from a's last heartbeat to the address added: b's own clock, not this busy test's.
      ;(flood ? flooded : quiet).push(
        Date.parse(String(taker.acquired.time)) -
          (Date.parse(String(taker.lost.time)) - Number(taker.lost.silentForMs)),
      )
      // Read by now: what b wrote before the kill, by its own clock.
      if (flood)
        for (const l of p.log)
          if (
            l.node === 'b' &&
            l.line.kind === 'peer-lost' &&
            eventMs(l.line) >= floodFrom &&
            eventMs(l.line) < killAt
          )
            falselyLost.push(`run ${run}: ${l.line.msg}`)
      if (sender) {
        const out = await sender
        garbage += Number(out.stdout.trim())
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
    const summary = `quiet ${quiet.join(', ')} ms; flooded ${flooded.join(', ')} ms; ${garbage} garbage packets`
    console.log(`flood test: ${summary}`)
    expect(garbage, summary).toBeGreaterThan(10_000)
    expect((await dropped(p, 'b')).malformed ?? 0, summary).toBeGreaterThan(1_000)
    expect(falselyLost, summary).toEqual([])
    // How much slower is for the benchmark (bench:engine) to say; a test can only catch a flood that
    // stalls detection by a whole heartbeat timeout (deadAfter, 150 ms), which noise on two shared
    // cores never comes near (quiet and flooded medians differ by tens of ms when the CI is busy).
    expect(median(flooded), summary).toBeLessThanOrEqual(median(quiet) + 150)
  }, 150_000)
})
