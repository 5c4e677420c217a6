import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

/**
 * Broken configs make the real agent refuse to start: exit 3, one message naming the file and the
 * field, no stack trace, no control socket left behind. The corpus is core's bad-configs folder plus
 * what only the machine can tell: a missing or readable key, a hooks folder others can write, an
 * address on no subnet of its interface, an interface that does not exist.
 */
const CORPUS = fileURLToPath(new URL('../../core/test/fixtures/bad-configs/', import.meta.url))
let dir: string
let key: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-refuse-'))
  key = join(dir, 'hb.key')
  expect((await runCli(['keygen', key])).code).toBe(0)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function refused(config: string, name: string) {
  const file = join(dir, name)
  await writeFile(file, config)
  const result = await runCli(['agent', '--config', file])
  expect(result.code, result.stderr).toBe(3)
  expect(result.stderr).not.toMatch(/\n\s+at /)
  expect(await readdir(dir)).not.toContain(`${name}.sock`)
  return result.stderr
}

const base = (extra: string, keyPath = key) => `node: b
key: ${keyPath}
interval: 50ms
deadAfter: 150ms
links:
  - { name: private, targets: [127.0.0.1] }
paths: { socket: ${dir}/SOCK.sock, stateDir: ${dir}/state }
${extra}`

describe('the agent refuses to start on a broken config', () => {
  it('every file of the bad-config corpus, naming its field', async () => {
    const files = (await readdir(CORPUS)).filter((f) => /\.(ya?ml|json)$/.test(f))
    expect(files.length).toBeGreaterThanOrEqual(20)
    // Four agents at a time: each is a real process start.
    for (let i = 0; i < files.length; i += 4) {
      await Promise.all(
        files.slice(i, i + 4).map(async (name) => {
          const text = await readFile(join(CORPUS, name), 'utf8')
          const expected = /^# expect: (.*)$/m.exec(text)?.[1] as string
          const stderr = await refused(text, name)
          expect(stderr, name).toContain(expected)
          expect(stderr.split('\n')[0], name).toMatch(/^ipfo: /)
        }),
      )
    }
    // Over twenty real agent starts: 10 s on an idle machine, far more beside the namespace suites.
  }, 120_000)

  it('a missing key file', async () => {
    const stderr = await refused(base('', join(dir, 'nope.key')), 'missing-key.yaml')
    expect(stderr).toMatch(/nope\.key/)
    expect(stderr).toMatch(/key/)
  })

  it('a key file others can read', async () => {
    const loose = join(dir, 'loose.key')
    await writeFile(loose, await readFile(key))
    await chmod(loose, 0o644)
    const stderr = await refused(base('', loose), 'loose-key.yaml')
    expect(stderr).toContain('loose.key')
    expect(stderr).toContain('has mode 644; group and others must have no access')
    expect(stderr).toContain('(at key)')
  })

  it('a hooks folder others can write', async () => {
    const hooks = join(dir, 'hooks')
    await mkdir(hooks)
    await chmod(hooks, 0o777)
    const stderr = await refused(base(`hooks: { dir: ${hooks} }\n`), 'open-hooks.yaml')
    expect(stderr).toContain(`hooks.dir: ${hooks} has mode 0777: others can write to it`)
    expect(stderr).toContain(`hint: chmod go-w ${hooks}`)
  })

  it('an address already on its interface with another prefix', async () => {
    const stderr = await refused(
      base('peers:\n  - id: a\n    takeover:\n      - { interface: lo, address: 127.0.0.1/32 }\n'),
      'other-prefix.yaml',
    )
    expect(stderr).toMatch(
      /peers\[0\]\.takeover\[0\]\.address: 127\.0\.0\.1 is already on lo as 127\.0\.0\.1\/8, not \/32/,
    )
    expect(stderr).toContain(
      'hint: remove it (ip addr del 127.0.0.1/8 dev lo), or write 127.0.0.1/8 in the config',
    )
  })

  it('an address on no subnet of its interface', async () => {
    const stderr = await refused(
      base('peers:\n  - id: a\n    takeover:\n      - { interface: lo, address: 192.168.77.10/24 }\n'),
      'no-subnet.yaml',
    )
    expect(stderr).toMatch(
      /peers\[0\]\.takeover\[0\]\.address: 192\.168\.77\.10\/24 is on no subnet of lo \(which has 127\.0\.0\.1\/8\)/,
    )
  })

  it('an interface that does not exist', async () => {
    const stderr = await refused(
      base('owns:\n  - { interface: eth9, address: 10.9.9.9/24 }\npeers: [{ id: a }]\n'),
      'no-interface.yaml',
    )
    expect(stderr).toContain('owns[0].address: interface eth9 does not exist on this machine')
  })
})
