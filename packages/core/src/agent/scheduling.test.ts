import { type ChildProcess, spawn } from 'node:child_process'
import { getPriority } from 'node:os'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { systemCommandRunner } from '../adapters/command-runner.js'
import { configSchema } from '../config/schema.js'
import { ConfigError } from '../model/errors.js'
import { applyRealtime, applyScheduling, checkRealtime, prepareScheduling } from './scheduling.js'

const isRoot = process.getuid?.() === 0
let child: ChildProcess | undefined
afterEach(() => {
  child?.kill('SIGKILL')
  child = undefined
})

const config = (scheduling: Record<string, unknown>) =>
  configSchema.parse({ node: 'a', key: '/k', links: [{ name: 'l', targets: ['10.0.0.2'] }], scheduling })

describe.skipIf(!isRoot)('scheduling (a real process, real chrt)', () => {
  it("makes a Node process's loop thread real-time, and leaves V8's and libuv's helper threads at normal priority", async () => {
    // A Node process with its helper threads started: V8's platform workers, libuv's pool (an fs read).
    child = spawn(process.execPath, [
      '-e',
      "require('fs').readFile(__filename, () => {}); setInterval(() => {}, 1000)",
    ])
    const pid = child.pid as number
    const threads = async () => {
      const ps = await systemCommandRunner.run('ps', ['-L', '-o', 'tid=,cls=,rtprio=', '-p', String(pid)])
      return ps.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .map(([tid, cls, prio]) => ({ tid: Number(tid), cls, prio }))
    }
    await expect.poll(async () => (await threads()).length, { timeout: 10_000 }).toBeGreaterThan(4)
    await applyScheduling(config({ realtimePriority: 3 }), 'a.yaml', systemCommandRunner, 'linux', pid, [
      '--single-threaded-gc',
    ])
    const after = await threads()
    expect(after.find((t) => t.tid === pid)).toEqual({ tid: pid, cls: 'FF', prio: '3' })
    const helpers = after.filter((t) => t.tid !== pid)
    expect(helpers.length).toBeGreaterThan(3)
    expect(helpers.every((t) => t.cls === 'TS')).toBe(true)
  })

  it('sets the nice value and the SCHED_FIFO priority of the loop thread', async () => {
    child = spawn('sleep', ['30'])
    const pid = child.pid as number
    const done = await applyScheduling(
      config({ nice: -5, realtimePriority: 3 }),
      'a.yaml',
      systemCommandRunner,
      'linux',
      pid,
      ['--single-threaded-gc'],
    )
    expect(done).toEqual(['nice -5', 'SCHED_FIFO 3'])
    expect(getPriority(pid)).toBe(-5)
    const shown = await systemCommandRunner.run('chrt', ['-p', String(pid)])
    expect(shown.stdout).toMatch(/SCHED_FIFO/)
    expect(shown.stdout).toMatch(/priority: 3/)
    expect(shown.stdout).toMatch(/SCHED_RESET_ON_FORK/)
  })

  it("an agent's start runs at normal policy: prepareScheduling sets the nice value, applyRealtime the FIFO after", async () => {
    child = spawn('sleep', ['30'])
    const pid = child.pid as number
    const asked = config({ nice: -3, realtimePriority: 2 })
    const policy = async () => (await systemCommandRunner.run('chrt', ['-p', String(pid)])).stdout
    expect(prepareScheduling(asked, 'a.yaml', 'linux', pid, ['--single-threaded-gc'])).toEqual(['nice -3'])
    expect(getPriority(pid)).toBe(-3)
    expect(await policy()).toMatch(/SCHED_OTHER/)
    // Before the start: shown possible, and given back at once.
    await checkRealtime(asked, 'a.yaml', systemCommandRunner, pid)
    expect(await policy()).toMatch(/SCHED_OTHER/)
    expect(await applyRealtime(asked, 'a.yaml', systemCommandRunner, pid)).toEqual(['SCHED_FIFO 2'])
    expect(await policy()).toMatch(/SCHED_FIFO/)
  })

  it('applies nothing when the real-time priority cannot be had (no nice without it)', async () => {
    child = spawn('sleep', ['30'])
    const pid = child.pid as number
    const error = await applyScheduling(
      config({ nice: -5, realtimePriority: 3 }),
      'a.yaml',
      systemCommandRunner,
      'linux',
      pid,
      [],
    ).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(getPriority(pid)).toBe(0)
    // V8 flags may be written with underscores.
    expect(
      await applyScheduling(config({ realtimePriority: 2 }), 'a.yaml', systemCommandRunner, 'linux', pid, [
        '--single_threaded_gc',
      ]),
    ).toEqual(['SCHED_FIFO 2'])
  })

  it("starts the agent's children at normal priority (a busy hook must not starve the host)", async () => {
    // A shell that starts a child only once it was made real-time, then reports the child's policy.
    const shell = spawn('sh', ['-c', 'read go; sleep 30 & chrt -p $!; wait'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      detached: true,
    })
    const pid = shell.pid as number
    onTestFinished(() => {
      process.kill(-pid, 'SIGKILL')
    })
    child = shell
    await applyScheduling(config({ realtimePriority: 2 }), 'a.yaml', systemCommandRunner, 'linux', pid, [
      '--single-threaded-gc',
    ])
    let out = ''
    child.stdout?.on('data', (d) => {
      out += String(d)
    })
    child.stdin?.write('go\n')
    await expect.poll(() => out, { timeout: 10_000 }).toMatch(/scheduling policy: (\S+)/)
    expect(out).toMatch(/SCHED_OTHER/)
  })
})

describe('scheduling errors', () => {
  it('refuses a real-time priority off Linux, naming the field', async () => {
    const error = await applyScheduling(
      config({ realtimePriority: 3 }),
      'a.yaml',
      systemCommandRunner,
      'darwin',
    ).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).path).toBe('scheduling.realtimePriority')
  })

  it('refuses a real-time priority to an agent whose GC runs on background threads', async () => {
    const error = await applyScheduling(
      config({ realtimePriority: 3 }),
      'a.yaml',
      systemCommandRunner,
      'linux',
      process.pid,
      ['--max-semi-space-size=1'],
    ).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).path).toBe('scheduling.realtimePriority')
    expect((error as ConfigError).message).toMatch(/--single-threaded-gc/)
    expect((error as ConfigError).hint).toMatch(/node \S* ?--single-threaded-gc \$\(command -v ipfo\) agent/)
  })

  it('refuses, before the start, a real-time priority chrt cannot set, naming the field and the fix', async () => {
    const denied = {
      run: async () => ({
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: "chrt: failed to set pid 1's policy: Operation not permitted",
      }),
    }
    const error = await checkRealtime(config({ realtimePriority: 3 }), 'a.yaml', denied, 1).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).path).toBe('scheduling.realtimePriority')
    expect((error as ConfigError).message).toMatch(/Operation not permitted/)
    expect((error as ConfigError).hint).toMatch(/root|CAP_SYS_NICE/)
  })

  it("refuses an interval under 10 ms to an agent that runs V8's memory reducer, naming the field and the flag", () => {
    const fast = configSchema.parse({
      node: 'a',
      key: '/k',
      interval: '5ms',
      deadAfter: '15ms',
      links: [{ name: 'l', targets: ['10.0.0.2'] }],
      scheduling: { realtimePriority: 1 },
    })
    const refusal = (platform: NodeJS.Platform, flags: string[]): ConfigError => {
      try {
        prepareScheduling(fast, 'a.yaml', platform, process.pid, flags)
      } catch (e) {
        if (e instanceof ConfigError) return e
        throw e
      }
      throw new Error('expected a ConfigError')
    }
    const error = refusal('linux', ['--single-threaded-gc'])
    expect(error.path).toBe('interval')
    expect(error.message).toContain("interval 5ms: this agent runs with V8's memory reducer")
    expect(error.hint).toMatch(/node --no-memory-reducer --single-threaded-gc/)
    // Without either flag the hint still names both: following it fixes both at once.
    expect(refusal('linux', []).hint).toMatch(/node --no-memory-reducer --single-threaded-gc/)
    // Off Linux the way out is a longer interval, not a flag.
    const mac = refusal('darwin', [])
    expect(mac.message).toContain('scheduling.realtimePriority is Linux-only')
    expect(mac.hint).toMatch(/make interval 10ms or more/)
    // With the flag (either spelling) it goes on to the real-time checks, which pass.
    expect(
      prepareScheduling(fast, 'a.yaml', 'linux', process.pid, [
        '--single-threaded-gc',
        '--no_memory_reducer',
      ]),
    ).toEqual([])
    // At 10 ms the reducer's pause is inside the margin: no flag needed.
    expect(prepareScheduling(config({}), 'a.yaml', 'linux', process.pid, [])).toEqual([])
  })

  it('nothing asked, nothing done', async () => {
    expect(await applyScheduling(config({}), 'a.yaml', systemCommandRunner, 'linux')).toEqual([])
  })
})
