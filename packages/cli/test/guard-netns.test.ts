import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { AgentStatus } from '@ipfo/core'
import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentLogLine } from '../src/demo/agent-process.js'
import { eventMs, sampledHandoverFaults, sampleHolders } from './handover.js'
import {
  interfaceLooks,
  type NamespacePair,
  sampleInterfaces,
  startNamespacePair,
  until,
} from './pair-harness.js'

/**
 * The guard (issue 18), with real agents in namespaces at the default timers (1 s, 3 s): kill -9 of
 * the agent alone, the host and its address staying, as after a crash or an OOM kill. b taking over
 * within deadAfter / 2 can only be the last word's doing: silence takes 3 s. How fast it is (a few
 * ms) is the benchmark's to measure (`npm run bench:failover -- --faults daemon-crash`).
 */
const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
const SPY_PORT = 1799
/** The config's default heartbeat port, which the stage's configs keep. */
const HEARTBEAT_PORT = 1694
let pair: NamespacePair | undefined
let spy: ChildProcess | undefined
afterEach(async () => {
  spy?.kill('SIGKILL')
  spy = undefined
  await pair?.close()
  pair = undefined
})

/**
 * The default timers; `spy`: a's public link also sends to the client's namespace, which records;
 * `keepOnStop`: a keeps its addresses when it stops.
 */
async function open(opts: { spy?: boolean; keepOnStop?: boolean } = {}) {
  pair = await startNamespacePair({
    interval: '1s',
    deadAfter: '3s',
    config: (stage) => {
      if (opts.keepOnStop) return { a: { onStop: 'keep' } }
      if (!opts.spy) return {}
      const { topology } = stage
      return {
        a: {
          links: [
            { name: 'private', targets: [topology.node('b').private!.ipv4] },
            {
              name: 'public',
              targets: [topology.node('b').public.ipv4, `${topology.client!.public.ipv4}:${SPY_PORT}`],
            },
          ],
        },
      }
    },
  })
  return pair
}

const holders = (p: NamespacePair) => p.stage.holders().then((h) => h.join())
const linesOf = (p: NamespacePair, node: string, kind: string) =>
  p.log
    .filter((l) => l.node === node && l.line.kind === kind)
    .map((l) => l.line as AgentLogLine & Record<string, unknown>)
const statusOf = (p: NamespacePair, node: 'a' | 'b') => p.status(node).catch(() => undefined)

async function startPair(p: NamespacePair) {
  const a = p.agent('a')
  const b = p.agent('b')
  a.start()
  b.start()
  await until('a to hold the VIP', async () => (await holders(p)) === 'a', 20_000)
  await until(
    "b to hear a on every link, and a's guard to hand the VIP over",
    async () => {
      const [sa, sb] = [await statusOf(p, 'a'), await statusOf(p, 'b')]
      return sb?.peers[0]?.links.every((l) => l.up) && sa?.guard?.handOver.length === 1
    },
    20_000,
  )
  return { a, b }
}

/** Every datagram the client's namespace receives on SPY_PORT, as base64, in arrival order. */
function startSpy(p: NamespacePair): string[] {
  const got: string[] = []
  const script = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m) => process.stdout.write(m.toString('base64') + '\\n'));
s.bind(${SPY_PORT}, () => process.stdout.write('ready\\n'))`
  spy = spawn('ip', ['netns', 'exec', p.topology.client!.ns, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  createInterface({ input: spy.stdout! }).on('line', (line) => got.push(line))
  return got
}

/** Sends one datagram to b's public address from the client's namespace. */
async function sendToB(p: NamespacePair, base64: string): Promise<void> {
  const to = p.topology.node('b').public.ipv4
  const script = `const s = require('node:dgram').createSocket('udp4');
s.send(Buffer.from('${base64}', 'base64'), ${HEARTBEAT_PORT}, '${to}', (e) => { s.close(); process.exit(e ? 1 : 0) })`
  const r = await p.topology.exec(p.topology.client!.ns, process.execPath, ['-e', script])
  if (r.exitCode !== 0) throw new Error(`sending to b failed: ${r.stderr}`)
}

describe.skipIf(skip !== undefined)('the guard: an address never outlives its agent', () => {
  it('kill -9 of the holder’s agent with a live peer: the guard removes the VIP, its last word has b take over at once, never both', async () => {
    const p = await open()
    const { a } = await startPair(p)
    // Read b first: a look showing both then proves both held it at once.
    const view = interfaceLooks(p, ['b', 'a'])
    try {
      const first = await view.holders()
      let killedAt = 0
      const handover = (async () => {
        killedAt = Date.now()
        await a.kill()
        await until('b to hold the VIP alone', async () => (await holders(p)) === 'b', 10_000)
        return Date.now() - killedAt
      })()
      const looks = [first, ...(await sampleHolders(view, handover))]
      const tookMs = await handover
      expect(sampledHandoverFaults(looks, 'a', 'b')).toEqual([])
      // How fast, in wall time, depends on the machine's load; that b did not wait out deadAfter, its
      // peer-lost says below (on b's own clock).
      console.log(`kill -9: b held the VIP alone ${tookMs} ms after the kill`)
    } finally {
      view.close()
    }
    const acted = await until('a’s guard to log what it did', () => linesOf(p, 'a', 'guard-acted')[0], 5_000)
    console.log(`kill -9: the guard's last word went out ${acted.tookMs} ms after it saw the agent die`)
    expect(acted).toMatchObject({
      removed: [`${p.stage.vip}@pub0`],
      kept: [],
      lastWord: ['private', 'public'],
      failures: [],
      recorded: false,
    })
    // b heard a leave ("silent for 0 ms"), it did not wait out deadAfter.
    const lost = linesOf(p, 'b', 'peer-lost')
    expect(lost.length).toBeGreaterThan(0)
    for (const l of lost) expect(l.silentForMs).toBeLessThan(1_000)
  })

  it('kill -9 with no live peer: the VIP stays, and the restarted agent keeps it without a flap', async () => {
    const p = await open()
    const a = p.agent('a')
    a.start()
    await until('a to hold the VIP', async () => (await holders(p)) === 'a', 20_000)
    await until(
      'a’s guard to be told to keep it',
      async () => (await statusOf(p, 'a'))?.guard?.keep.length === 1,
    )
    const restart = (async () => {
      await a.kill()
      await until('a’s guard to log what it did', () => linesOf(p, 'a', 'guard-acted')[0], 5_000)
      const again = p.agent('a')
      again.start()
      await until(
        'the restarted a to hold the VIP',
        async () => (await statusOf(p, 'a'))?.held.length === 1,
        20_000,
      )
    })()
    const looks = await sampleInterfaces(p, restart)
    expect(looks.length).toBeGreaterThan(10)
    expect(looks.filter((l) => l.join() !== 'a')).toEqual([])
    const acted = linesOf(p, 'a', 'guard-acted')
    expect(acted[0]).toMatchObject({
      removed: [],
      kept: [`${p.stage.vip}@pub0`],
      lastWord: [],
      recorded: false,
    })
    // The restarted agent reports the record the guard left, and never released or re-added the VIP.
    await until('the restarted a to report the record', () => linesOf(p, 'a', 'guard-acted')[1], 5_000)
    expect(linesOf(p, 'a', 'guard-acted')[1]).toMatchObject({ recorded: true, kept: [`${p.stage.vip}@pub0`] })
    const second = p.log.filter((l) => l.node === 'a').findLastIndex((l) => l.line.kind === 'agent-started')
    const after = p.log
      .filter((l) => l.node === 'a')
      .slice(second)
      .map((l) => l.line.kind)
    expect(after).not.toContain('releasing')
    expect(after).not.toContain('released')
  })

  it('a reload (SIGHUP) is not a crash: the old guard stands down, a new one starts, nothing moves', async () => {
    const p = await open()
    const { a } = await startPair(p)
    const first = (await statusOf(p, 'a'))!.guard!.pid!
    a.signal('SIGHUP')
    await until(
      'the reloaded a to run a new guard',
      async () => {
        const g = (await statusOf(p, 'a'))?.guard
        return g?.pid && g.pid !== first && g.handOver.length === 1
      },
      20_000,
    )
    await new Promise((r) => setTimeout(r, 500))
    expect(await holders(p)).toBe('a')
    expect(linesOf(p, 'a', 'guard-acted')).toEqual([])
    expect(linesOf(p, 'a', 'guard-died')).toEqual([])
    expect(p.kinds('b')).not.toContain('acquiring')
  })

  it('a last word replayed after the agent restarted is refused', async () => {
    const p = await open({ spy: true })
    const captured = startSpy(p)
    await until('the spy to listen', () => captured.includes('ready'), 10_000)
    const { a } = await startPair(p)
    await until('the spy to hear a', () => captured.length >= 3, 10_000)
    await a.kill()
    // How fast the last word hands over is the kill test's to assert; here it only has to happen
    // (CI under load once took longer than 1.5 s).
    await until('b to take over', async () => (await holders(p)) === 'b', 5_000)
    await until('a’s guard to log what it did', () => linesOf(p, 'a', 'guard-acted')[0], 5_000)
    const lastWord = captured.at(-1)!
    // a comes back (a new incarnation) and b hears it.
    p.agent('a').start()
    await until(
      'b to hear the restarted a',
      async () => {
        const peer = (await statusOf(p, 'b'))?.peers[0]
        return peer?.alive && peer.state === 'healthy' && peer.incarnation !== null
      },
      20_000,
    )
    const before = (await statusOf(p, 'b'))!
    await sendToB(p, lastWord)
    await until(
      'b to drop the replayed last word',
      async () =>
        ((await statusOf(p, 'b'))?.counters.dropped.replay ?? 0) > (before.counters.dropped.replay ?? 0),
      5_000,
    )
    const after = (await statusOf(p, 'b')) as AgentStatus
    expect(after.peers[0]).toMatchObject({
      alive: true,
      state: 'healthy',
      incarnation: before.peers[0]!.incarnation,
    })
    const since = p.log.findIndex((l) => l.node === 'b' && l.line.kind === 'peer-restored')
    expect(
      p.log
        .slice(since + 1)
        .filter((l) => l.node === 'b')
        .map((l) => l.line.kind),
    ).not.toContain('peer-lost')
  })

  it('SIGSTOP of the holder’s agent: b takes over after deadAfter, the kernel ends a’s VIP by itself within its lifetime, and after SIGCONT one holder', async () => {
    const p = await open()
    const { a } = await startPair(p)
    const lifetimes = await until('a to give the VIP a lifetime', async () => {
      const l = (await statusOf(p, 'a'))?.lifetimes
      return l?.addresses[0]?.lifetime === 'expiring' ? l : undefined
    })
    // deadAfter 3 s: 4 s, renewed every 0.5 s.
    expect(lifetimes).toMatchObject({ seconds: 4, renewEveryMs: 500 })
    const view = interfaceLooks(p, ['b', 'a'])
    const timeline: { at: number; holders: string }[] = []
    let stoppedAt = 0
    let contAt = 0
    try {
      const frozen = (async () => {
        stoppedAt = Date.now()
        a.signal('SIGSTOP')
        // Frozen well past the lifetime, then thawed.
        await new Promise((r) => setTimeout(r, (lifetimes.seconds + 2) * 1000))
        contAt = Date.now()
        a.signal('SIGCONT')
        await until('a to notice its pause and let the expired VIP go', () =>
          linesOf(p, 'a', 'released').at(-1),
        )
        await new Promise((r) => setTimeout(r, 1_000))
      })()
      let done = false
      frozen.finally(() => {
        done = true
      })
      while (!done) {
        timeline.push({ at: Date.now(), holders: (await view.holders()).join() })
        await new Promise((r) => setTimeout(r, 20))
      }
      await frozen
    } finally {
      view.close()
      a.signal('SIGCONT')
    }
    const since = (t: number) => t - stoppedAt
    const aGone = timeline.find((l) => l.at > stoppedAt && !l.holders.split(',').includes('a'))
    const bTook = timeline.find((l) => l.at > stoppedAt && l.holders.split(',').includes('b'))
    expect(aGone, JSON.stringify(timeline)).toBeDefined()
    expect(bTook).toBeDefined()
    // b waits out deadAfter (3 s) from a's last heartbeat (at most 1 s before the stop; 0.5 s more
    // of room for a's loop running late under load).
    expect(since(bTook!.at)).toBeGreaterThan(1_500)
    // The stated bound: the lifetime (4 s) from the last renewal, which is at most 0.5 s before the
    // stop, plus the kernel's lifetime check, which runs on timers rounded up to whole seconds (it
    // came 80-370 ms late here; at most 1 s): 5.5 s. Measured 4.0-4.3 s. 0.5 s of room for the looks.
    expect(since(aGone!.at)).toBeLessThan(lifetimes.seconds * 1000 + 2_000)
    // Once gone, it stayed gone while a was frozen: the kernel ended it, nothing brought it back.
    const frozenAfterGone = timeline.filter((l) => l.at >= aGone!.at && l.at < contAt)
    expect(frozenAfterGone.filter((l) => l.holders.split(',').includes('a'))).toEqual([])
    expect(contAt).toBeGreaterThan(aGone!.at)
    // Thawed, a says it was paused and that the VIP expired, and releases it (hooks run) instead of
    // renewing it back. b gives it back by the failback policy: a's acquire starts only after b's
    // release ended, so the two never hold it at once. At the end one of them holds it.
    expect(linesOf(p, 'a', 'paused').length).toBeGreaterThan(0)
    expect(linesOf(p, 'a', 'addresses-expired')).toHaveLength(1)
    // Thawed, a judged b afresh: b's silence while a was frozen is no loss of b.
    expect(linesOf(p, 'a', 'peer-lost').filter((l) => eventMs(l) >= contAt - 50)).toEqual([])
    const thawed = (l: AgentLogLine) => eventMs(l) >= contAt - 50
    const aAcquiring = linesOf(p, 'a', 'acquiring').filter(thawed)
    const bReleased = linesOf(p, 'b', 'released').filter(thawed)
    for (const acq of aAcquiring) expect(bReleased.some((r) => eventMs(r) <= eventMs(acq))).toBe(true)
    expect(['a', 'b']).toContain(timeline.at(-1)!.holders)
    console.log(
      `SIGSTOP: b held the VIP ${since(bTook!.at)} ms after the stop, a's VIP gone after ${since(aGone!.at)} ms`,
    )
  })

  it('a stop that keeps the VIP (onStop keep, SIGTERM): the guard stands down and the VIP stays for good, with no lifetime', async () => {
    const p = await open({ keepOnStop: true })
    const { a } = await startPair(p)
    await until('a to give the VIP a lifetime', async () => {
      return (await statusOf(p, 'a'))?.lifetimes?.addresses[0]?.lifetime === 'expiring'
    })
    await a.stop()
    const validLifetime = async () => {
      const r = await p.topology.exec(p.topology.node('a').ns, 'ip', ['-j', 'addr', 'show', 'dev', 'pub0'])
      const links = JSON.parse(r.stdout) as { addr_info?: { local?: string; valid_life_time?: number }[] }[]
      return links.flatMap((l) => l.addr_info ?? []).find((i) => i.local === p.vipIp)?.valid_life_time
    }
    // Forever (the kernel's 0xffffffff), and still there past the 4 s it had.
    expect(await validLifetime()).toBe(0xffffffff)
    await new Promise((r) => setTimeout(r, 5_000))
    expect(await validLifetime()).toBe(0xffffffff)
    expect(linesOf(p, 'a', 'guard-acted')).toEqual([])
  })

  it('kill -9 of the guard: it is started again, loudly, and nothing else changes', async () => {
    const p = await open()
    await startPair(p)
    const first = (await statusOf(p, 'a'))!.guard!.pid!
    process.kill(first, 'SIGKILL')
    const started = await until(
      'a to start its guard again',
      async () => {
        const g = (await statusOf(p, 'a'))?.guard
        return g && g.pid !== null && g.pid !== first && g.restarts === 1 ? g : undefined
      },
      5_000,
    )
    expect(started.handOver).toEqual([`${p.stage.vip}@pub0`])
    // The log lines come through the agent's stdout, the status through its socket: wait for them.
    await until(
      'the restart to be logged',
      () => linesOf(p, 'a', 'guard-started').at(-1)?.restarts === 1,
      5_000,
    )
    expect(linesOf(p, 'a', 'guard-died')[0]).toMatchObject({ pid: first, signal: 'SIGKILL', level: 50 })
    expect(linesOf(p, 'a', 'guard-started').at(-1)).toMatchObject({ pid: started.pid, restarts: 1 })
    expect(await holders(p)).toBe('a')
    expect(p.kinds('b')).not.toContain('acquiring')
    // The new guard works: a's death is handed over as before.
    const a = p.log.length
    process.kill((await statusOf(p, 'a'))!.process!.pid, 'SIGKILL')
    await until('b to take over through the new guard', async () => (await holders(p)) === 'b', 10_000)
    await until('the new guard to log what it did', () => linesOf(p, 'a', 'guard-acted')[0], 5_000)
    expect(p.log.length).toBeGreaterThan(a)
    // b heard a leave through the new guard's last word: it did not wait out deadAfter (3 s).
    const lost = p.log.slice(a).filter((l) => l.node === 'b' && l.line.kind === 'peer-lost')
    expect(lost.length).toBeGreaterThan(0)
    for (const l of lost) expect(Number((l.line as { silentForMs?: number }).silentForMs)).toBeLessThan(1_000)
  })
})
