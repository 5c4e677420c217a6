import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { invocation } from '../test/hook-invocation.js'
import { defineHook, readHookEvent } from './define-hook.js'
import { HookInputError } from './errors.js'

describe('readHookEvent', () => {
  it('reads argv and every IPFO_* variable of the contract', async () => {
    const { env, argv } = invocation({ emailRecipient: 'admin@example.com', fencingToken: '4711' })
    const event = await readHookEvent(env, argv)
    expect(event).toEqual({
      phase: 'PostAcq',
      action: 'acquire',
      address: '192.168.1.100',
      prefix: 24,
      cidr: '192.168.1.100/24',
      interface: 'eth0',
      addresses: [
        { ip: '192.168.1.100', prefix: 24, interface: 'eth0' },
        { ip: 'fd00::100', prefix: 64, interface: 'eth0' },
      ],
      owner: 'a',
      node: 'b',
      peer: 'a',
      reason: 'peer a lost',
      eventTime: '2026-11-25T10:00:00.000Z',
      detectionMs: 3000,
      results: [],
      emailRecipient: 'admin@example.com',
      fencingToken: '4711',
    })
  })

  it('falls back to the variables without argv, and leaves empty ones undefined', async () => {
    const { env } = invocation({
      action: 'release',
      stage: 'PostRel',
      peer: undefined,
      detectionMs: undefined,
    })
    const event = await readHookEvent(env, [])
    expect(event).toMatchObject({
      action: 'release',
      phase: 'PostRel',
      cidr: '192.168.1.100/24',
      interface: 'eth0',
    })
    expect(event.peer).toBeUndefined()
    expect(event.detectionMs).toBeUndefined()
    expect(event.emailRecipient).toBeUndefined()
  })

  it('reads the results of earlier hooks, skipping torn lines; a missing file is no results', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-results-'))
    try {
      const file = join(dir, 'results.jsonl')
      await writeFile(
        file,
        '{"phase":"PreAcq","script":"PreAcq-10-mount","exitCode":0,"signal":null,"durationMs":12,"timedOut":false}\n{"scri\n' +
          '{"phase":"PostAcq","script":"PostAcq-20-x","exitCode":null,"signal":"SIGKILL","durationMs":30000,"timedOut":true}\n',
      )
      const event = await readHookEvent(invocation({ resultsFile: file }).env, invocation().argv)
      expect(event.results).toEqual([
        {
          phase: 'PreAcq',
          script: 'PreAcq-10-mount',
          exitCode: 0,
          signal: null,
          durationMs: 12,
          timedOut: false,
        },
        {
          phase: 'PostAcq',
          script: 'PostAcq-20-x',
          exitCode: null,
          signal: 'SIGKILL',
          durationMs: 30000,
          timedOut: true,
        },
      ])
      const missing = invocation({ resultsFile: join(dir, 'missing') })
      const none = await readHookEvent(missing.env, missing.argv)
      expect(none.results).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses an unknown action, address or phase with a usage hint', async () => {
    await expect(readHookEvent({}, ['start', '10.0.0.1/24', 'eth0'])).rejects.toThrow(HookInputError)
    await expect(readHookEvent({}, ['acquire', '10.0.0.1', 'eth0'])).rejects.toThrow(/not <ip>\/<prefix>/)
    await expect(readHookEvent({ IPFO_PHASE: 'PostAcquire' }, invocation().argv)).rejects.toThrow(
      /IPFO_PHASE/,
    )
  })
})

describe('defineHook', () => {
  it('refuses a name that cannot be a script suffix', () => {
    expect(() =>
      defineHook({
        name: 'My Hook',
        description: '',
        options: {} as never,
        run: async () => ({ ok: true, summary: '' }),
      }),
    ).toThrow(/lower-case/)
  })
})
