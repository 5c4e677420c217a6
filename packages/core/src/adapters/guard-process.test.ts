import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EventBody } from '../model/events.js'
import { type GuardProcess, startGuardProcess } from './guard-process.js'

/**
 * The agent's side of the guard, against a stand-in guard: a Node process that appends every line it
 * reads to a file and, at the end of its input, a line saying so. The real guard is the CLI's.
 */
const STAND_IN = `
const fs = require('node:fs')
const out = process.argv[1]
process.on('SIGTERM', () => {})
let rest = ''
process.stdin.on('data', (d) => {
  rest += d
  const lines = rest.split('\\n')
  rest = lines.pop()
  for (const l of lines) fs.appendFileSync(out, l + '\\n')
})
process.stdin.on('end', () => { fs.appendFileSync(out, 'END\\n'); process.exit(0) })
`
const A = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 } as const

let dir: string | undefined
let guard: GuardProcess | undefined
afterEach(async () => {
  await guard?.standDown()
  guard = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function standIn() {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-guard-'))
  const out = join(dir, 'lines')
  const events: EventBody[] = []
  guard = startGuardProcess({
    command: process.execPath,
    args: ['-e', STAND_IN, out],
    hello: { node: 'a', platform: 'linux', links: [], log: 1, stateDir: dir, agentPid: process.pid },
    report: (e) => events.push(e),
    restartDelayMs: 50,
  })
  const lines = async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean)
  return { events, lines }
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await what()
    if (ok(v)) return v
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('timed out waiting')
}

describe('the guard process, from the agent’s side', () => {
  it('says hello first, then passes on briefs and words, and a stand-down before closing the pipe', async () => {
    const { lines, events } = await standIn()
    guard!.brief({ handOver: [A], keep: [] })
    guard!.lastWord([{ link: 'lan', data: new Uint8Array([7, 8]) }])
    await guard!.standDown()
    const read = await lines()
    expect(read.at(-1)).toBe('END')
    const kinds = read.slice(0, -1).map((l) => l.split(' ')[0])
    expect(kinds).toEqual(['hello', 'brief', 'brief', 'word', 'stand-down'])
    expect(read[2]).toBe('brief h eth0 10.0.0.100 24 4')
    expect(read[3]).toBe('word lan 0708')
    expect(events.map((e) => e.kind)).toEqual(['guard-started'])
  })

  it('starts a guard that died again, loudly, and tells it everything it knew', async () => {
    const { lines, events } = await standIn()
    guard!.brief({ handOver: [A], keep: [] })
    guard!.lastWord([{ link: 'lan', data: new Uint8Array([1]) }])
    const first = guard!.status().pid!
    await until(lines, (l) => l.length >= 3)
    process.kill(first, 'SIGKILL')
    await until(
      async () => events.map((e) => e.kind),
      (k) => k.filter((x) => x === 'guard-started').length === 2,
    )
    expect(events.map((e) => e.kind)).toEqual(['guard-started', 'guard-died', 'guard-started'])
    expect(events[1]).toMatchObject({ kind: 'guard-died', pid: first, signal: 'SIGKILL' })
    expect(events[2]).toMatchObject({ kind: 'guard-started', restarts: 1 })
    expect(guard!.status()).toMatchObject({
      restarts: 1,
      handOver: ['10.0.0.100/24@eth0'],
      lastWordLinks: ['lan'],
    })
    expect(guard!.status().pid).not.toBe(first)
    // The new guard's first lines: hello, the current brief and the current words.
    const again = await until(lines, (l) => l.filter((x) => x.startsWith('hello ')).length === 2)
    const second = again.slice(again.findLastIndex((l) => l.startsWith('hello ')))
    expect(second.slice(0, 3).map((l) => l.split(' ')[0])).toEqual(['hello', 'brief', 'word'])
    expect(second[1]).toBe('brief h eth0 10.0.0.100 24 4')
  })

  it('queues little while a stopped guard reads nothing, and sends the latest brief once it reads again', async () => {
    const { lines } = await standIn()
    const pid = guard!.status().pid!
    await until(lines, (l) => l.length >= 2)
    process.kill(pid, 'SIGSTOP')
    try {
      const word = [{ link: 'lan', data: new Uint8Array(900) }]
      for (let i = 0; i < 2_000; i++) guard!.lastWord(word)
      guard!.brief({ handOver: [], keep: [A] })
      guard!.brief({ handOver: [A], keep: [] })
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    const latest = 'brief h eth0 10.0.0.100 24 4'
    await until(lines, (l) => l.includes(latest))
    await guard!.standDown()
    const read = await until(lines, (l) => l.at(-1) === 'END')
    const words = read.filter((l) => l.startsWith('word ')).length
    expect(words).toBeGreaterThan(0)
    // About 1.8 kB a word: what the pipe and the 64 kB queue hold, far fewer than 2,000 (3.6 MB).
    expect(words).toBeLessThan(1_000)
    // The brief written before the stop last: the guard acts on the latest.
    const briefs = read.filter((l) => l.startsWith('brief'))
    expect(briefs.at(-1)).toBe(latest)
    expect(read.at(-2)).toContain('stand-down')
  })

  it('sends the latest last word once a stopped guard reads again, though it was dropped meanwhile', async () => {
    const { lines } = await standIn()
    const pid = guard!.status().pid!
    await until(lines, (l) => l.length >= 2)
    process.kill(pid, 'SIGSTOP')
    const latest = new Uint8Array(900).fill(7)
    try {
      for (let i = 0; i < 2_000; i++) guard!.lastWord([{ link: 'lan', data: new Uint8Array(900) }])
      // Made once and not again for a second: dropped here, it must still reach the guard.
      guard!.lastWord([{ link: 'lan', data: latest }])
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    const expected = `word lan ${Buffer.from(latest).toString('hex')}`
    await until(lines, (l) => l.includes(expected))
    await guard!.standDown()
    const read = await until(lines, (l) => l.at(-1) === 'END')
    expect(read.filter((l) => l.startsWith('word ')).at(-1)).toBe(expected)
  })

  it('starts again, with growing waits, a guard that cannot start at all, and says why', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-guard-'))
    const events: EventBody[] = []
    guard = startGuardProcess({
      command: join(dir, 'no-such-guard'),
      args: [],
      hello: { node: 'a', platform: 'linux', links: [], log: 1, stateDir: dir, agentPid: process.pid },
      report: (e) => events.push(e),
      restartDelayMs: 20,
    })
    await until(
      async () => events.filter((e) => e.kind === 'error').length,
      (n) => n >= 4,
    )
    expect(events.every((e) => e.kind === 'error' && /ENOENT/.test(e.message))).toBe(true)
    expect(guard.status()).toMatchObject({ pid: null })
    expect(guard.status().restarts).toBeGreaterThanOrEqual(4)
  })

  it('starts the guard with the environment the program asks for: variables set, and removed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-guard-'))
    const out = join(dir, 'env.json')
    process.env.PERL5OPT = '-Mwarnings'
    try {
      guard = startGuardProcess({
        command: process.execPath,
        args: [
          '-e',
          `require('node:fs').writeFileSync(process.argv[1], JSON.stringify(process.env)); process.stdin.resume()`,
          out,
        ],
        env: { LC_ALL: 'C', PERL5OPT: null },
        hello: { node: 'a', platform: 'linux', links: [], log: 1, stateDir: dir, agentPid: process.pid },
        report: () => {},
      })
    } finally {
      delete process.env.PERL5OPT
    }
    const env = await until(
      async () =>
        JSON.parse(await readFile(out, 'utf8').catch(() => 'null')) as Record<string, string> | null,
      (e) => e !== null,
    )
    expect(env!.LC_ALL).toBe('C')
    expect(env!.PERL5OPT).toBeUndefined()
    expect(env!.PATH).toBe(process.env.PATH)
  })
})
