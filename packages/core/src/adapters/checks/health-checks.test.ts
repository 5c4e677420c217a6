import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checksSchema } from '../../config/checks-schema.js'
import { healthChecks } from './health-checks.js'
import { interfaceProbe } from './interface-probe.js'

let dir: string
let server: Server
let port: number
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-health-'))
  server = createServer((socket) => socket.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as { port: number }).port
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await new Promise((resolve) => server.close(resolve))
})

/** A fake /sys/class/net with one interface in the given state. */
async function sysfs(name: string, files: { operstate: string; carrier?: string }) {
  const root = join(dir, `sys-${name}-${files.operstate}-${files.carrier ?? 'none'}`)
  await mkdir(join(root, name), { recursive: true })
  await writeFile(join(root, name, 'operstate'), `${files.operstate}\n`)
  if (files.carrier !== undefined) await writeFile(join(root, name, 'carrier'), `${files.carrier}\n`)
  return root
}

describe('interfaceProbe', () => {
  it('reads the real loopback as up', async () => {
    expect(await interfaceProbe('lo')).toEqual({ ok: true, detail: 'lo up' })
  })

  it.each([
    [
      { operstate: 'up', carrier: '1' },
      { ok: true, detail: 'eth1 up' },
    ],
    [
      { operstate: 'unknown', carrier: '1' },
      { ok: true, detail: 'eth1 up' },
    ],
    [
      { operstate: 'down', carrier: '0' },
      { ok: false, detail: 'eth1 is down' },
    ],
    // Set down by the administrator: the kernel refuses to read the carrier (EINVAL).
    [{ operstate: 'down' }, { ok: false, detail: 'eth1 is down' }],
    [
      { operstate: 'lowerlayerdown', carrier: '0' },
      { ok: false, detail: 'eth1 has no carrier (lowerlayerdown)' },
    ],
    [
      { operstate: 'dormant', carrier: '1' },
      { ok: false, detail: 'eth1 is dormant' },
    ],
  ])('%j -> %j', async (files, expected) => {
    expect(await interfaceProbe('eth1', await sysfs('eth1', files))).toEqual(expected)
  })

  it('an interface that does not exist', async () => {
    expect(await interfaceProbe('ipfo-none0')).toEqual({ ok: false, detail: 'ipfo-none0 does not exist' })
  })
})

describe('healthChecks', () => {
  it('runs each configured check by its kind, and says so for a name it does not know', async () => {
    const checks = checksSchema.parse({
      up: { kind: 'tcp', port },
      refused: { kind: 'tcp', port: 1, interval: '100ms' },
      link: { kind: 'interface', interface: 'lo' },
      script: { kind: 'exec', argv: ['/bin/true'] },
    })
    const health = await healthChecks(checks)
    expect(await health.run('up')).toEqual({ ok: true, detail: 'connected' })
    expect(await health.run('refused')).toEqual({ ok: false, detail: 'ECONNREFUSED' })
    expect(await health.run('link')).toEqual({ ok: true, detail: 'lo up' })
    // Without an exec runner (none given here), an exec check fails: it is never run from the loop.
    expect(await health.run('script')).toEqual({ ok: false, detail: 'no exec-check helper could be started' })
    expect(await health.run('other')).toEqual({ ok: false, detail: 'no check is named "other"' })
    await health.close?.()
  })

  it('starts the exec runner only when an exec check is configured, and closes it', async () => {
    const calls: string[] = []
    const exec = () => ({
      async run(argv: readonly string[], timeoutMs: number) {
        calls.push(`run ${argv.join(' ')} ${timeoutMs}`)
        return { ok: true, detail: 'exit 0' }
      },
      async close() {
        calls.push('close')
      },
    })
    const none = await healthChecks(checksSchema.parse({ up: { kind: 'tcp', port } }), { exec })
    await none.close?.()
    expect(calls).toEqual([])
    const some = await healthChecks(
      checksSchema.parse({
        script: { kind: 'exec', argv: ['/usr/local/bin/check', '-q'], timeout: '300ms' },
      }),
      { exec },
    )
    expect(await some.run('script')).toEqual({ ok: true, detail: 'exit 0' })
    await some.close?.()
    expect(calls).toEqual(['run /usr/local/bin/check -q 300', 'close'])
  })
})
