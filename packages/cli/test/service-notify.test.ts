import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { onPath } from '@ipfo/core/agent'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { type ExtraConfig, writeNodeFiles } from '../src/demo/node-files.js'
import { NOTIFY_HELPERS, notifySender } from '../src/service/notify-sender.js'

/**
 * systemd's side of sd_notify: a unix datagram socket that a python3 receiver binds (Node cannot)
 * and prints one JSON line per datagram, so messages that ran together would show as one.
 */
const RECEIVER = `import json, socket, sys, time
address = sys.argv[1]
if address.startswith('@'): address = '\\0' + address[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(address)
print('bound', flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps([time.monotonic(), data.decode()]), flush=True)`

interface Datagram {
  readonly text: string
  /** Seconds on the receiver's monotonic clock. */
  readonly at: number
}

let dir: string
const cleanups: (() => void)[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-notify-'))
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  await AgentProcess.killAll()
  await rm(dir, { recursive: true, force: true })
})

async function receiver(address: string): Promise<Datagram[]> {
  const child = spawn('python3', ['-I', '-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] })
  cleanups.push(() => child.kill('SIGKILL'))
  const datagrams: Datagram[] = []
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the receiver exited (code ${code})`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'bound') return resolve()
      const [at, text] = JSON.parse(line) as [number, string]
      datagrams.push({ at, text })
    })
  })
  return datagrams
}

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

/** The pids of a process's children, from /proc. */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
  return text === '' ? [] : text.split(' ').map(Number)
}

/** Gone, or a zombie its new parent has not reaped yet. */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true
  } catch {
    return true
  }
}

const WATCHDOG_USEC = 200_000
const PET_MS = WATCHDOG_USEC / 2000

/** Pets per second between the first and the last, and whether every one came alone. */
function pets(datagrams: readonly Datagram[]) {
  const watchdog = datagrams.filter((d) => d.text.includes('WATCHDOG=1'))
  const span = watchdog.length > 1 ? watchdog.at(-1)!.at - watchdog[0]!.at : 0
  return {
    count: watchdog.length,
    perSecond: span > 0 ? (watchdog.length - 1) / span : 0,
    alone: watchdog.every((d) => d.text === 'WATCHDOG=1'),
  }
}

/** Agent a's command and config on loopback; b's too, for a live peer. */
async function pair(extra: ExtraConfig = {}) {
  const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
  const files = await writeNodeFiles(stage, dir, extra)
  return {
    stage,
    files,
    command: (node: 'a' | 'b') => stage.agentCommand(node, ['--config', files.config[node]]),
  }
}

function startAgent(command: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [cmd, ...args] = command
  const child = spawn(cmd!, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  cleanups.push(() => child.kill('SIGKILL'))
  // Drained, so a full pipe never blocks the agent.
  child.stdout?.resume()
  return child
}

const has = onPath(process.env.PATH)

describe.skipIf(!has('python3'))('the notify helper', () => {
  it.each(NOTIFY_HELPERS.filter((h) => has(h.command)).map((h) => [h.command, h] as const))(
    '%s sends each message as one datagram, to an abstract socket too, and exits at end of input',
    async (_name, helper) => {
      for (const socket of [join(dir, 'notify.sock'), `@ipfo-test-${process.pid}-${Date.now()}`]) {
        const datagrams = await receiver(socket)
        const children: ChildProcess[] = []
        const reports: string[] = []
        const sender = notifySender({
          socket,
          env: process.env,
          report: (m) => reports.push(m),
          helpers: [helper],
          spawn: ((...args: Parameters<typeof spawn>) => {
            const child = spawn(...args)
            children.push(child)
            return child
          }) as typeof spawn,
        })
        // Written in one go, the messages meet in the pipe: the helper must still keep them apart.
        const messages = Array.from({ length: 200 }, (_, i) =>
          i % 10 === 0 ? `READY=1\nSTATUS=message ${i}: ünïcode` : `WATCHDOG=1`,
        )
        for (const m of messages) sender.send(m)
        sender.close()
        await until('every datagram', () => datagrams.length >= messages.length)
        await exited(children[0]!)
        expect(datagrams.map((d) => d.text)).toEqual(messages)
        expect({ children: children.length, exitCode: children[0]!.exitCode, reports }).toEqual({
          children: 1,
          exitCode: 0,
          reports: [],
        })
      }
    },
  )

  it('reports a missing helper once and sends nothing, without throwing', () => {
    const reports: string[] = []
    const sender = notifySender({
      socket: join(dir, 'notify.sock'),
      env: process.env,
      report: (m) => reports.push(m),
      helpers: [{ command: 'ipfo-no-such-helper', args: [] }],
    })
    sender.send('READY=1')
    sender.send('WATCHDOG=1')
    sender.close()
    expect(reports).toEqual([
      'cannot tell systemd anything (readiness, watchdog): none of ipfo-no-such-helper could be started; install perl',
    ])
  })

  it('reports a helper that died once, and starts no other', async () => {
    const datagrams = await receiver(join(dir, 'notify.sock'))
    const children: ChildProcess[] = []
    const reports: string[] = []
    const sender = notifySender({
      socket: join(dir, 'notify.sock'),
      env: process.env,
      report: (m) => reports.push(m),
      spawn: ((...args: Parameters<typeof spawn>) => {
        const child = spawn(...args)
        children.push(child)
        return child
      }) as typeof spawn,
    })
    sender.send('READY=1')
    await until('READY=1', () => datagrams.length === 1)
    children[0]!.kill('SIGKILL')
    await until('the report', () => reports.length > 0)
    for (let i = 0; i < 5; i++) sender.send('WATCHDOG=1')
    await new Promise((r) => setTimeout(r, 300))
    expect(children.length).toBe(1)
    expect(reports).toEqual([
      expect.stringMatching(
        /^the systemd notify helper \(perl, pid \d+\) exited \(SIGKILL\): systemd hears nothing more from this agent, and a unit with WatchdogSec restarts it$/,
      ),
    ])
    expect(datagrams.map((d) => d.text)).toEqual(['READY=1'])
  })
})

describe.skipIf(!has('python3'))('the agent under systemd', () => {
  it('says READY=1 with its status, pets the watchdog in datagrams of their own, and STOPPING=1 on SIGTERM', async () => {
    const socket = join(dir, 'notify.sock')
    const datagrams = await receiver(socket)
    const { command } = await pair()
    const agent = startAgent(command('a'), { NOTIFY_SOCKET: socket, WATCHDOG_USEC: String(WATCHDOG_USEC) })
    await until('10 watchdog pets', () => pets(datagrams).count >= 10)
    agent.kill('SIGTERM')
    await exited(agent)
    await until('STOPPING=1', () => datagrams.some((d) => d.text === 'STOPPING=1'), 5_000)

    expect(datagrams[0]?.text).toBe('READY=1\nSTATUS=node a: heartbeats every 100ms, detection 300ms')
    expect(datagrams.at(-1)?.text).toBe('STOPPING=1')
    const watchdog = pets(datagrams)
    expect(watchdog.alone).toBe(true)
    // Every 100 ms; loosely, for a loaded machine.
    expect(watchdog.perSecond).toBeGreaterThan(1000 / PET_MS / 3)
    expect(watchdog.perSecond).toBeLessThan((1000 / PET_MS) * 2)
    expect(datagrams.length).toBe(watchdog.count + 2)
  })

  it('its notify helper exits when the agent is killed', async () => {
    const socket = join(dir, 'notify.sock')
    const datagrams = await receiver(socket)
    const { command } = await pair()
    const agent = startAgent(command('a'), { NOTIFY_SOCKET: socket })
    await until('READY=1', () => datagrams.some((d) => d.text.startsWith('READY=1')))
    const helpers = childrenOf(agent.pid!)
    expect(helpers.map((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim())).toEqual(['perl'])
    agent.kill('SIGKILL')
    await exited(agent)
    await until('the helper to exit', () => gone(helpers[0]!), 5_000)
  })
})

const isRoot = process.getuid?.() === 0
describe.skipIf(!isRoot || !has('python3') || !has('unshare') || !has('nsenter'))(
  'the agent under systemd, at a 10 ms interval',
  () => {
    it('starts no process in 60 s once it is running (the watchdog pets included)', async () => {
      const socket = join(dir, 'notify.sock')
      const datagrams = await receiver(socket)
      const fast = { interval: '10ms', deadAfter: '100ms' }
      const { command } = await pair({ a: fast, b: fast })
      const b = new AgentProcess(
        'b',
        command('b'),
        () => {},
        () => {},
      )
      b.start()
      // Agent a alone in a new pid namespace, as its pid 1: the namespace's last allocated pid then
      // counts every process started inside it, however short-lived.
      const unshare = startAgent(
        ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...command('a')],
        {
          NOTIFY_SOCKET: socket,
          WATCHDOG_USEC: String(WATCHDOG_USEC),
        },
      )
      await until('READY=1', () => datagrams.some((d) => d.text.startsWith('READY=1')), 30_000)
      const [agent] = childrenOf(unshare.pid!)
      // Start-up is over: READY=1 comes after the agent's own start.
      await new Promise((r) => setTimeout(r, 2_000))
      /** Reading it starts one process in the namespace: the reader. */
      const lastPid = () =>
        Number(
          execFileSync(
            'nsenter',
            ['--target', String(agent), '--pid', '--', 'cat', '/proc/sys/kernel/ns_last_pid'],
            { encoding: 'utf8' },
          ),
        )
      const threads = () => readdirSync(`/proc/${agent}/task`).length
      const before = { lastPid: lastPid(), threads: threads(), pets: pets(datagrams).count }
      await new Promise((r) => setTimeout(r, 60_000))
      const after = { lastPid: lastPid(), threads: threads(), pets: pets(datagrams).count }
      // unshare ignores SIGTERM while it waits for its child.
      process.kill(agent!, 'SIGTERM')
      await exited(unshare)
      await until('STOPPING=1', () => datagrams.some((d) => d.text === 'STOPPING=1'), 5_000)

      // One pid for the second reader, none for anything else (a thread would count too: none came).
      expect({
        startedInside: after.lastPid - before.lastPid - 1,
        newThreads: after.threads - before.threads,
      }).toEqual({
        startedInside: 0,
        newThreads: 0,
      })
      const watchdog = pets(datagrams)
      expect(watchdog.alone).toBe(true)
      expect(after.pets - before.pets).toBeGreaterThan(60_000 / PET_MS / 3)
      expect(datagrams.at(-1)?.text).toBe('STOPPING=1')
    }, 120_000)
  },
)
