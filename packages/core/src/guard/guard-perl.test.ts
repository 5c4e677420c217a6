import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { briefLine, helloLine, STAND_DOWN_LINE, wordLine } from '../adapters/guard-protocol.js'
import type { InterfaceAddress } from '../model/ip.js'
import { GUARD_PERL } from './guard-perl.js'
import { type GuardReport, readGuardReport } from './report.js'

/**
 * The guard program itself, run with perl as the agent runs it, on loopback: a stand-in `ip` first
 * on its PATH records each command (and fails as a test asks), two UDP sockets stand for the peers of
 * two links, and a stand-in report (run in the guard's place once it acted) keeps what it was given.
 * Its pipe is closed as an agent's death closes it. The real one, in network namespaces, is the
 * CLI's guard tests'.
 */
const A: InterfaceAddress = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 }
const B: InterfaceAddress = { interface: 'eth1', ip: 'fd00::5', prefix: 64, family: 6 }

/**
 * Appends its argv to `calls`; sleeps, fails, answers "already gone" or hangs as IP_MODE says; and
 * writes `done` when it ends (a hung one never does).
 */
const FAKE_IP = `#!/bin/sh
echo "$*" >> "$IP_CALLS"
case "$IP_MODE" in
  slow) sleep 0.2 ;;
  fail) echo "RTNETLINK answers: Operation not permitted" >&2; echo x >> "$IP_DONE"; exit 2 ;;
  gone) echo "RTNETLINK answers: Cannot assign requested address" >&2; echo x >> "$IP_DONE"; exit 2 ;;
  hang) exec sleep 60 ;;
  detach) exec >/dev/null 2>&1; exec sleep 60 ;;
  grandchild) sleep 2 & echo x >> "$IP_DONE"; exit 0 ;;
esac
echo x >> "$IP_DONE"
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
  /** Each datagram, as hex, and how many removals had ended when it came. */
  readonly got: { hex: string; removalsDone: number }[]
}
async function peer(host = '127.0.0.1'): Promise<Peer> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  peers.push(s)
  const got: Peer['got'] = []
  const done = () => {
    try {
      return readFileSync(join(dir, 'done'), 'utf8').split('\n').filter(Boolean).length
    } catch {
      return 0
    }
  }
  s.on('message', (m) => got.push({ hex: m.toString('hex'), removalsDone: done() }))
  await new Promise<void>((r) => s.bind(0, host, r))
  return { port: s.address().port, got }
}

/**
 * Runs the guard under `sh` (its parent, as the agent is: a group leader when `leader`), writes the
 * lines (given the stand-in agent's pid, for the hello), closes the pipe and waits for the guard to
 * end. Returns what it did.
 */
async function guardOver(
  lines: string[] | ((agentPid: number) => string[]),
  opts: { ipMode?: string; leader?: boolean; shellBefore?: string; removalMs?: number } = {},
) {
  const env = {
    ...process.env,
    LC_ALL: 'C',
    PATH: `${dir}:${process.env.PATH}`,
    IP_CALLS: join(dir, 'calls'),
    IP_DONE: join(dir, 'done'),
    IP_MODE: opts.ipMode ?? '',
    REPORT_OUT: join(dir, 'report.json'),
    GUARD: GUARD_PERL,
    NODE_BIN: process.execPath,
    REPORTER: join(dir, 'report.cjs'),
  }
  const script = `${opts.shellBefore ?? ''}perl -e "$GUARD" -- "$NODE_BIN" "$REPORTER" ${opts.removalMs ?? ''}; echo "guard exit $?" >&2`
  const child = spawn('sh', ['-c', script], { env, stdio: ['pipe', 'ignore', 'pipe'], detached: opts.leader })
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (d) => {
    stderr += d
  })
  const ended = new Promise<void>((r) => child.once('close', () => r()))
  child.stdin!.end((typeof lines === 'function' ? lines(child.pid!) : lines).join(''))
  await ended
  const calls = (await readFile(join(dir, 'calls'), 'utf8').catch(() => '')).split('\n').filter(Boolean)
  const reportText = await readFile(join(dir, 'report.json'), 'utf8').catch(() => undefined)
  return { calls, report: reportText === undefined ? undefined : readGuardReport(reportText), stderr }
}

/** Two links, the second over IPv6 loopback, and the agent's pid (in tests, the guard's parent `sh`). */
async function twoLinks() {
  const [lan, back] = [await peer(), await peer('::1')]
  const hello = helloLine({
    node: 'a',
    platform: 'linux',
    links: [
      { name: 'lan', targets: [{ host: '127.0.0.1', port: lan.port }] },
      { name: 'back', listen: '::1', targets: [{ host: '::1', port: back.port }] },
    ],
    log: 1,
    eventLog: '/var/log/ipfo events.jsonl',
    stateDir: join(dir, 'state 100%'),
    agentPid: 0,
  })
  const words = wordLine([
    { link: 'lan', data: new Uint8Array([1, 2, 3]) },
    { link: 'back', data: new Uint8Array([4, 5, 6]) },
  ])
  const helloFor = (pid: number) => hello.replace(/ 0\n/, ` ${pid}\n`)
  return { lan, back, hello, helloFor, words }
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
    // Every copy came after both removals had ended: a word while an address is still here has the
    // peer add it too.
    expect(lan.got).toEqual(Array(3).fill({ hex: '010203', removalsDone: 2 }))
    expect(back.got).toEqual(Array(3).fill({ hex: '040506', removalsDone: 2 }))
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
      agentPid: 0,
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
      agentPid: 0,
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
      // An empty brief replaces a full one.
      [hello, briefLine({ handOver: [A], keep: [] }), words, briefLine({ handOver: [], keep: [] })],
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
    const { lan, helloFor, words } = await twoLinks()
    await withLeftovers(
      (pid) => [helloFor(pid), briefLine({ handOver: [A], keep: [] }), words],
      async ({ report, ipBatch, sleeper }) => {
        expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], failures: [] })
        expect(await running(ipBatch)).toBe(false)
        expect(await running(sleeper)).toBe(true)
      },
    )
    await copiesIn()
    expect(lan.got).toHaveLength(3)
  })

  it('leaves them when its parent is not the agent that said hello (that agent died before the guard ran)', async () => {
    const { helloFor, words } = await twoLinks()
    await withLeftovers(
      (pid) => [helloFor(pid + 100_000), briefLine({ handOver: [A], keep: [] }), words],
      async ({ report, ipBatch }) => {
        expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], failures: [] })
        expect(await running(ipBatch)).toBe(true)
      },
    )
  })

  it('leaves the ip -batch of a group the agent did not lead: it is other programs’ too', async () => {
    const { helloFor, words } = await twoLinks()
    const other = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] })
    other.on('error', () => {})
    children.push(other)
    await expect.poll(async () => readFile(`/proc/${other.pid}/cmdline`, 'utf8')).toContain('-batch')
    const { report } = await guardOver((pid) => [
      helloFor(pid),
      briefLine({ handOver: [A], keep: [] }),
      words,
    ])
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], failures: [] })
    expect(other.exitCode).toBeNull()
    expect(other.signalCode).toBeNull()
  })

  it('passes over a line cut short by the agent’s death: a brief cut between two addresses is not a shorter one', async () => {
    const { lan, hello, words } = await twoLinks()
    const whole = briefLine({ handOver: [A, { ...A, ip: '10.0.0.101' }], keep: [] })
    // Cut right after the first address's family: as a line, a valid brief of one address.
    const cut = whole.slice(0, whole.indexOf(' h eth0 10.0.0.101'))
    const { calls, report, stderr } = await guardOver([
      hello,
      briefLine({ handOver: [], keep: [A] }),
      words,
      cut,
    ])
    await copiesIn()
    expect(stderr).toContain(
      `ipfo guard: a line from the agent it cannot read (cut short: the agent died while writing it): ${cut}`,
    )
    // The brief before it holds: keep, so nothing removed and no word.
    expect(calls).toEqual([])
    expect(lan.got).toEqual([])
    expect(report).toMatchObject({ removed: [], kept: ['10.0.0.100/24@eth0'], lastWord: [] })
  })

  it('kills a removal still running at its deadline (10 s; here 300 ms), reports it, and sends no word, whether or not it closed its output', async () => {
    const { lan, hello, words } = await twoLinks()
    for (const ipMode of ['hang', 'detach']) {
      const started = Date.now()
      const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words], {
        ipMode,
        removalMs: 300,
      })
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      expect(report).toMatchObject({ removed: [], lastWord: [] })
      expect(report!.failures).toEqual([
        'removing 10.0.0.100/24 from eth0: ip addr del 10.0.0.100/24 dev eth0 still ran 300 ms after it started; killed',
      ])
    }
    await copiesIn()
    expect(lan.got).toEqual([])
  })

  it('judges a removal by its exit, though something it left holds its output open', async () => {
    const { lan, hello, words } = await twoLinks()
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words], {
      ipMode: 'grandchild',
      removalMs: 300,
    })
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], lastWord: ['lan', 'back'], failures: [] })
    await copiesIn()
    expect(lan.got).toHaveLength(3)
  })

  it('sends to the targets of a link it could resolve, and says which it could not', async () => {
    const [lan, back] = [await peer(), await peer('::1')]
    const hello = helloLine({
      node: 'a',
      platform: 'linux',
      links: [
        {
          name: 'lan',
          listen: '127.0.0.1',
          // An IPv6 address on an IPv4 link: it cannot be resolved, at the hello or after.
          targets: [
            { host: '::1', port: 1694 },
            { host: '127.0.0.1', port: lan.port },
          ],
        },
        { name: 'back', targets: [{ host: '::1', port: back.port }] },
      ],
      log: 1,
      stateDir: dir,
      agentPid: 0,
    })
    const words = wordLine([
      { link: 'lan', data: new Uint8Array([1]) },
      { link: 'back', data: new Uint8Array([2]) },
    ])
    const { report } = await guardOver([hello, briefLine({ handOver: [A], keep: [] }), words])
    await copiesIn()
    expect(lan.got.map((g) => g.hex)).toEqual(['01', '01', '01'])
    expect(back.got.map((g) => g.hex)).toEqual(['02', '02', '02'])
    expect(report).toMatchObject({ removed: ['10.0.0.100/24@eth0'], lastWord: ['back'] })
    expect(report!.failures).toHaveLength(1)
    expect(report!.failures[0]).toMatch(/^last word on lan: resolving ::1: /)
  })

  it('says nothing on its error output while the agent runs and stops cleanly', async () => {
    const { hello, words } = await twoLinks()
    const { stderr } = await guardOver([
      hello,
      briefLine({ handOver: [A], keep: [] }),
      words,
      STAND_DOWN_LINE,
    ])
    expect(stderr).toBe('guard exit 0\n')
  })
})

/** Whether a process runs (and is not a zombie). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

/**
 * The guard under a stand-in agent (sh, leading its own group) that left an `ip -batch -` and a
 * sleep running, as an agent's had long before it died; `check` looks at what is left. Everything
 * of the group is killed after.
 */
async function withLeftovers(
  lines: (agentPid: number) => string[],
  check: (r: { report: GuardReport | undefined; ipBatch: number; sleeper: number }) => Promise<void>,
) {
  const real = (process.env.PATH ?? '').split(':').find((d) => existsSync(join(d, 'ip')))
  if (!real) throw new Error('no ip on PATH: install iproute2')
  const pids = join(dir, 'pids')
  let group: number | undefined
  try {
    const result = await guardOver(
      (pid) => {
        group = pid
        return lines(pid)
      },
      {
        leader: true,
        // Once the ip has started (the forked shell has become ip): for 5 s at most.
        shellBefore: `sleep 30 2>/dev/null | ${real}/ip -batch - 2>/dev/null & b=$!; sleep 31 2>/dev/null & echo "$b $!" > ${pids}; n=0; while [ "$(cat /proc/$b/comm 2>/dev/null)" != ip ] && [ $n -lt 500 ]; do sleep 0.01; n=$((n + 1)); done; `,
      },
    )
    const [ipBatch, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number) as [
      number,
      number,
    ]
    expect(ipBatch).toBeGreaterThan(0)
    await check({ report: result.report, ipBatch, sleeper })
  } finally {
    if (group !== undefined) {
      try {
        process.kill(-group, 'SIGKILL')
      } catch {}
    }
  }
}
