import { type ChildProcess, spawn } from 'node:child_process'
import { getPriority } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { systemCommandRunner } from '../adapters/command-runner.js'
import { configSchema } from '../config/schema.js'
import { ConfigError } from '../model/errors.js'
import { applyScheduling } from './scheduling.js'

const isRoot = process.getuid?.() === 0
let child: ChildProcess | undefined
afterEach(() => {
  child?.kill('SIGKILL')
  child = undefined
})

const config = (scheduling: Record<string, unknown>) =>
  configSchema.parse({ node: 'a', key: '/k', links: [{ name: 'l', targets: ['10.0.0.2'] }], scheduling })

describe.skipIf(!isRoot)('scheduling (a real process, real chrt)', () => {
  it('sets the nice value and SCHED_FIFO priority of every thread', async () => {
    child = spawn('sleep', ['30'])
    const pid = child.pid as number
    const done = await applyScheduling(
      config({ nice: -5, realtimePriority: 3 }),
      'a.yaml',
      systemCommandRunner,
      'linux',
      pid,
    )
    expect(done).toEqual(['nice -5', 'SCHED_FIFO 3'])
    expect(getPriority(pid)).toBe(-5)
    const shown = await systemCommandRunner.run('chrt', ['-p', String(pid)])
    expect(shown.stdout).toMatch(/SCHED_FIFO/)
    expect(shown.stdout).toMatch(/priority: 3/)
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

  it('nothing asked, nothing done', async () => {
    expect(await applyScheduling(config({}), 'a.yaml', systemCommandRunner, 'linux')).toEqual([])
  })
})
