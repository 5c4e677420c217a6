import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { briefLine, helloLine, STAND_DOWN_LINE, wordLine } from '../adapters/guard-protocol.js'
import type { InterfaceAddress } from '../model/ip.js'
import { GUARD_PERL } from './guard-perl.js'
import { readGuardReport } from './report.js'

/**
 * The guard program itself, run with perl as the agent runs it, on loopback: a stand-in `ip` first
 * on its PATH records each command (and fails as a test asks), two UDP sockets stand for the peers of
 * two links, and a stand-in report (run in the guard's place once it acted) keeps what it was given.
 * Its pipe is closed as an agent's death closes it. The real one, in network namespaces, is the
 * CLI's guard tests'.
 */
const A: InterfaceAddress = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 }
const B: InterfaceAddress = { interface: 'eth1', ip: 'fd00::5', prefix: 64, family: 6 }

/** Appends its argv to `calls`; sleeps, fails or answers "already gone" as IP_MODE says. */
const FAKE_IP = `#!/bin/sh
echo "$*" >> "$IP_CALLS"
case "$IP_MODE" in
  slow) sleep 0.2 ;;
  fail) echo "RTNETLINK answers: Operation not permitted" >&2; exit 2 ;;
  gone) echo "RTNETLINK answers: Cannot assign requested address" >&2; exit 2 ;;
esac
exit 0
`
const REPORT = `require('node:fs').writeFileSync(process.env.REPORT_OUT, process.argv[2])`

let dir: string
let peers: Socket[] = []
let children: ChildProcess[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-guard-perl-'))
  await writeFile(join(dir, 'ip'), FAKE_IP)
  await chmod(join(dir, 'ip'), 0o755)
  await writeFile(join(dir, 'report.cjs'), REPORT)
  // macOS's removals, recorded the same way (the commands darwin.ts runs: ifconfig aliases).
  await writeFile(join(dir, 'ifconfig'), FAKE_IP.replace('Cannot assign', "Can't assign"))
  await chmod(join(dir, 'ifconfig'), 0o755)
})
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children = []
  for (const p of peers) p.close()
  peers = []
  await rm(dir, { recursive: true, force: true })
})

interface Peer {
  readonly port: number
  /** Each datagram, as hex, and whether the ip command had been run when it came. */
  readonly got: { hex: string; afterIp: boolean }[]
}
async function peer(): Promise<Peer> {
  const s = createSocket('udp4')
  peers.push(s)
  const got: Peer['got'] = []
  s.on('message', (m) => got.push({ hex: m.toString('hex'), afterIp: existsSync(join(dir, 'calls')) }))
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  return { port: s.address().port, got }
}

/**
 * Runs the guard under `sh` (its parent, as the agent is: a group leader when `leader`), writes
 * `lines`, closes the pipe and waits for the guard to end. Returns what it did.
 */
async function guardOver(
  lines: string[],
  opts: { ipMode?: string; leader?: boolean; shellBefore?: string } = {},
) {
  const env = {
    ...process.env,
    PATH: `${dir}:${process.env.PATH}`,
    IP_CALLS: join(dir, 'calls'),
    IP_MODE: opts.ipMode ?? '',
    REPORT_OUT: join(dir, 'report.json'),
    GUARD: GUARD_PERL,
    NODE_BIN: process.execPath,
    REPORTER: join(dir, 'report.cjs'),
  }
  const script = `${opts.shellBefore ?? ''}perl -e "$GUARD" -- "$NODE_BIN" "$REPORTER"; echo "guard exit $?" >&2`
  const child = spawn('sh', ['-c', script], { env, stdio: ['pipe', 'ignore', 'pipe'], detached: opts.leader })
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (d) => {
    stderr += d
  })
  const ended = new Promise<void>((r) => child.once('exit', () => r()))
  child.stdin!.end(lines.join(''))
  await ended
  const calls = (await readFile(join(dir, 'calls'), 'utf8').catch(() => '')).split('\n').filter(Boolean)
  const reportText = await readFile(join(dir, 'report.json'), 'utf8').catch(() => undefined)
  return { calls, report: reportText === undefined ? undefined : readGuardReport(reportText), stderr }
}

async function twoLinks() {
  const [lan, back] = [await peer(), await peer()]
  const hello = helloLine({
    node: 'a',
    platform: 'linux',
    links: [
      { name: 'lan', targets: [{ host: '127.0.0.1', port: lan.port }] },
      { name: 'back', listen: '127.0.0.1', targets: [{ host: '127.0.0.1', port: back.port }] },
    ],
    log: 1,
    eventLog: '/var/log/ipfo events.jsonl',
    stateDir: join(dir, 'state 100%'),
  })
  const words = wordLine([
    { link: 'lan', data: new Uint8Array([1, 2, 3]) },
    { link: 'back', data: new Uint8Array([4, 5, 6]) },
  ])
  return { lan, back, hello, words }
}

/** The copies of the word have all come (sent 5 ms apart): a short wait once the guard ended. */
const copiesIn = () => new Promise((r) => setTimeout(r, 50))

describe.skipIf(process.platform !== 'linux')('the guard (perl), when the agent’s pipe closes', () => {
  it('removes the handed-over addresses, then sends the last word, three copies, on every link, and reports it', async () => {
    const { lan, back, hello, words } = await twoLinks()
    const { calls, report, stderr } = await guardOver(
      [hello, briefLine({ handOver: [A, B], keep: [] }), words],
      { ipMode: 'slow' },
    )
    await copiesIn()
    expect(calls.sort()).toEqual(['addr del 10.0.0.100/24 dev eth0', 'addr del fd00::5/64 dev eth1'])
    // Every copy came after the removals: a word while an address is still here has the peer add it too.
    expect(lan.got).toEqual(Array(3).fill({ hex: '010203', afterIp: true }))
    expect(back.got).toEqual(Array(3).fill({ hex: '040506', afterIp: true }))
    expect(report).toMatchObject({
      node: 'a',
      removed: ['10.0.0.100/24@eth0', 'fd00::5/64@eth1'],
      kept: [],
      lastWord: ['lan', 'back'],
      failures: [],
      log: 1,
      eventLog: '/var/log/ipfo events.jsonl',
      stateDir: join(dir, 'state 100%'),
    })
    // The removals took the stand-in's 200 ms; the word went out right after.
    expect(report!.tookMs).toBeGreaterThanOrEqual(190)
    expect(Math.abs(report!.time - Date.now())).toBeLessThan(10_000)
    expect(stderr).toContain('guard exit 0')
  })

  it('on macOS, removes with ifconfig, as darwin.ts does, and counts an alias already gone as removed', async () => {
    const lan = await peer()
    const hello = helloLine({
      node: 'a',
      platform: 'darwin',
      links: [{ name: 'lan', targets: [{ host: '127.0.0.1', port: lan.port }] }],
      log: 1,
      stateDir: dir,
    })
    const brief = briefLine({
      handOver: [
        { ...A, interface: 'en0' },
        { ...B, interface: 'en1' },
      ],
      keep: [],
    })
    const word = wordLine([{ link: 'lan', data: new Uint8Array([1]) }])
    for (const ipMode of ['', 'gone']) {
      await rm(join(dir, 'calls'), { force: true })
      const { calls, report } = await guardOver([hello, brief, word], { ipMode })
      expect(calls.sort()).toEqual(['en0 -alias 10.0.0.100', 'en1 inet6 fd00::5 -alias'])
      expect(report).toMatchObject({
        removed: ['10.0.0.100/24@en0', 'fd00::5/64@en1'],
        lastWord: ['lan'],
        failures: [],
      })
    }
    await copiesIn()
    expect(lan.got).toHaveLength(6)
  })

  it('acts on the latest brief and sends the latest word', async () => {
    const { lan, hello } = await twoLinks()
    const { calls, report } = await guardOver([
      hello,
      briefLine({ handOver: [B], keep: [] }),
      wordLine([{ link: 'lan', data: new Uint8Array([9]) }]),
      briefLine({ handOver: [A], keep: [] }),
      wordLine([{ link: 'lan', data: new Uint8Array([10]) }]),
    ])
    await copiesIn()
    expect(calls).toEqual(['addr del 10.0.0.100/24 dev eth0'])
    expect(lan.got.map((g) => g.hex)).toEqual(['0a', '0a', '0a'])
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], lastWord: ['lan'], failures: [] })
  })

  it('counts an address already gone as removed', async () => {
    const { lan, hello, words } = await twoLinks()
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words], {
      ipMode: 'gone',
    })
    await copiesIn()
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], failures: [] })
    expect(lan.got).toHaveLength(3)
  })

  it('sends no word when an address could not be removed (the peer waits for silence instead), and says why', async () => {
    const { lan, back, hello, words } = await twoLinks()
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words], {
      ipMode: 'fail',
    })
    await copiesIn()
    expect(lan.got).toEqual([])
    expect(back.got).toEqual([])
    expect(report).toMatchObject({ removed: [], lastWord: [] })
    expect(report!.failures).toEqual([
      'removing 10.0.0.100/24 from eth0: ip addr del 10.0.0.100/24 dev eth0 exited 2: RTNETLINK answers: Operation not permitted',
    ])
  })

  it('keeps what no peer can take, and then says nothing', async () => {
    const { lan, back, hello, words } = await twoLinks()
    const { calls, report } = await guardOver([hello, briefLine({ handOver: [], keep: [A] }), words])
    await copiesIn()
    expect(calls).toEqual([])
    expect([...lan.got, ...back.got]).toEqual([])
    expect(report).toMatchObject({ removed: [], kept: ['10.0.0.100/24@eth0'], lastWord: [], failures: [] })
  })

  it('still speaks on the links that work when one cannot', async () => {
    const lan = await peer()
    const hello = helloLine({
      node: 'a',
      platform: 'linux',
      links: [
        { name: 'lan', targets: [{ host: '127.0.0.1', port: lan.port }] },
        // Not an address of this host: the socket cannot be bound.
        { name: 'back', listen: '192.0.2.77', targets: [{ host: '192.0.2.78', port: 1694 }] },
      ],
      log: '/var/log/ipfo.log',
      stateDir: dir,
    })
    const words = wordLine([
      { link: 'lan', data: new Uint8Array([1]) },
      { link: 'back', data: new Uint8Array([2]) },
      { link: 'nowhere', data: new Uint8Array([3]) },
    ])
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words])
    await copiesIn()
    expect(lan.got).toHaveLength(3)
    expect(report).toMatchObject({
      removed: ['10.0.0.100/24@eth0'],
      lastWord: ['lan'],
      log: '/var/log/ipfo.log',
    })
    expect(report!.failures).toHaveLength(2)
    expect(report!.failures[0]).toMatch(/^last word on back: binding 192\.0\.2\.77: /)
    expect(report!.failures[1]).toBe("last word on nowhere: no link named nowhere in the agent's hello")
  })

  it('does nothing, and reports nothing, after a stand-down, whatever the brief said', async () => {
    const { lan, hello, words } = await twoLinks()
    const { calls, report, stderr } = await guardOver([
      hello,
      briefLine({ handOver: [A], keep: [] }),
      words,
      STAND_DOWN_LINE,
    ])
    await copiesIn()
    expect(calls).toEqual([])
    expect(lan.got).toEqual([])
    expect(report).toBeUndefined()
    expect(stderr).toContain('guard exit 0')
  })

  it('does nothing when the agent held nothing, or died before saying who it was', async () => {
    const { lan, hello, words } = await twoLinks()
    for (const lines of [
      [hello, briefLine({ handOver: [], keep: [] }), words],
      [briefLine({ handOver: [A], keep: [] }), words],
    ]) {
      const { calls, report, stderr } = await guardOver(lines)
      expect(calls).toEqual([])
      expect(report).toBeUndefined()
      expect(stderr).toContain('guard exit 0')
    }
    await copiesIn()
    expect(lan.got).toEqual([])
  })

  it('passes over a line it cannot read, says which, and acts on the rest', async () => {
    const { lan, hello, words } = await twoLinks()
    const { report, stderr } = await guardOver([
      hello,
      briefLine({ handOver: [A], keep: [] }),
      'brief h eth0 10.0.0.9 200 4\n',
      'word lan xyz\n',
      'link lan 127.0.0.1 127.0.0.1 0\n',
      'hi there\n',
      words,
    ])
    await copiesIn()
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], lastWord: ['lan', 'back'], failures: [] })
    expect(lan.got).toHaveLength(3)
    const bad = stderr
      .split('\n')
      .filter((l) => l.startsWith('ipfo guard: a line from the agent it cannot read'))
    expect(bad).toEqual([
      expect.stringContaining(
        '(brief: groups of hand-or-keep, interface, ip, prefix, family): brief h eth0 10.0.0.9 200 4',
      ),
      expect.stringContaining('(word: link and hex pairs): word lan xyz'),
      expect.stringContaining('(link: name, listen address, then host and port pairs): link lan'),
      expect.stringContaining('(expected hello, link, brief, word or stand-down): hi there'),
    ])
  })

  it('ends the dead agent’s ip -batch, and only that, when the agent led its process group', async () => {
    const { lan, hello, words } = await twoLinks()
    // The stand-in agent (sh, leading its own group) leaves an `ip -batch -` and a sleep running.
    const real = (process.env.PATH ?? '').split(':').find((d) => existsSync(join(d, 'ip'))) ?? '/usr/sbin'
    const pids = join(dir, 'pids')
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words], {
      leader: true,
      // Once the ip has started (its command line says -batch), as an agent's had long before it died.
      shellBefore: `sleep 30 | ${real}/ip -batch - & b=$!; sleep 31 & echo "$b $!" > ${pids}; while ! grep -q batch /proc/$b/cmdline; do sleep 0.01; done; `,
    })
    const [ipBatch, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number)
    const running = async (pid: number) => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
      return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
    }
    try {
      expect(ipBatch).toBeGreaterThan(0)
      expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], failures: [] })
      expect(await running(ipBatch!)).toBe(false)
      expect(await running(sleeper!)).toBe(true)
      await copiesIn()
      expect(lan.got).toHaveLength(3)
    } finally {
      for (const pid of [ipBatch, sleeper]) {
        try {
          process.kill(pid!, 'SIGKILL')
        } catch {}
      }
    }
  })

  it('leaves the ip -batch of a group the agent did not lead: it is other programs’ too', async () => {
    const { hello, words } = await twoLinks()
    const other = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] })
    children.push(other)
    await expect.poll(async () => readFile(`/proc/${other.pid}/cmdline`, 'utf8')).toContain('-batch')
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words])
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], failures: [] })
    expect(other.exitCode).toBeNull()
    expect(other.signalCode).toBeNull()
  })
})
