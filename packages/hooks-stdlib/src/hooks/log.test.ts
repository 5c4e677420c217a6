import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordingRunner } from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invocation } from '../../test/hook-invocation.js'
import { readHookEvent } from '../define-hook.js'
import { systemDeps } from '../main.js'
import { parseHookOptions } from '../sidecar.js'
import { logHook } from './log.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-log-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const NOW = Date.UTC(2026, 10, 25, 10, 0, 3)
const event = () => readHookEvent(invocation().env, invocation().argv)

describe('log hook', () => {
  it('appends one JSON line per event to a file', async () => {
    const path = join(dir, 'hooks.jsonl')
    const options = parseHookOptions(logHook, { to: 'file', path })
    const deps = systemDeps({}, { now: () => NOW })
    expect((await logHook.run(await event(), options, deps)).ok).toBe(true)
    const releasing = invocation({ action: 'release', stage: 'PreRel' })
    const release = await readHookEvent(releasing.env, releasing.argv)
    await logHook.run(release, options, deps)
    const lines = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      time: '2026-11-25T10:00:03.000Z',
      phase: 'PostAcq',
      action: 'acquire',
      cidr: '192.168.1.100/24',
      addresses: ['192.168.1.100/24@eth0', 'fd00::100/64@eth0'],
      node: 'b',
      owner: 'a',
      detectionMs: 3000,
    })
    expect(lines[1]).toMatchObject({ phase: 'PreRel', action: 'release' })
  })

  it('writes to stdout by default', async () => {
    const printed: string[] = []
    const outcome = await logHook.run(
      await event(),
      parseHookOptions(logHook, {}),
      systemDeps({}, { print: (l) => printed.push(l) }),
    )
    expect(outcome.ok).toBe(true)
    expect(JSON.parse(printed[0]!)).toMatchObject({ action: 'acquire', node: 'b' })
  })

  it('sends to syslog through logger with the exact argv', async () => {
    const runner = new RecordingRunner()
    const options = parseHookOptions(logHook, { to: 'syslog', facility: 'local3' })
    await logHook.run(await event(), options, systemDeps({}, { runner, now: () => NOW }))
    expect(runner.calls).toHaveLength(1)
    const [call] = runner.calls
    expect(call?.command).toBe('logger')
    expect(call?.args.slice(0, -1)).toEqual(['-t', 'ipfo', '-p', 'local3.notice', '-u', '/dev/log', '--'])
    expect(JSON.parse(call?.args.at(-1) ?? '')).toMatchObject({ action: 'acquire', cidr: '192.168.1.100/24' })
  })

  it.skipIf(!existsSync('/usr/bin/python3'))(
    'reaches a real unix datagram socket through zx and logger',
    async () => {
      const socket = join(dir, 'log.sock')
      const listener = spawn('python3', [
        '-c',
        'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\nprint(s.recv(65536).decode(),flush=True)',
        socket,
      ])
      let received = ''
      listener.stdout.on('data', (chunk: Buffer) => {
        received += chunk.toString()
      })
      try {
        await expect.poll(() => received, { timeout: 5000 }).toContain('ready')
        const options = parseHookOptions(logHook, { to: 'syslog', tag: 'ipfo-test', socket })
        const outcome = await logHook.run(await event(), options, systemDeps({}))
        expect(outcome).toMatchObject({ ok: true })
        await expect
          .poll(() => received, { timeout: 5000 })
          .toMatch(/ipfo-test.*"cidr":"192\.168\.1\.100\/24"/)
      } finally {
        listener.kill()
      }
    },
  )
})
