import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateKey, writeKeyFile } from '../adapters/key-file.js'
import { ConfigError } from '../model/errors.js'
import { loadConfigFile } from './load-config-file.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const config = (key: string) => `node: alpha\nkey: ${key}\nlinks: [{ name: private, targets: [10.0.0.2] }]\n`

/** Writes a config at `dir/etc/ipfo.yaml` and returns its path. */
async function writeConfig(text: string): Promise<string> {
  await mkdir(join(dir, 'etc'), { recursive: true })
  const file = join(dir, 'etc', 'ipfo.yaml')
  await writeFile(file, text)
  return file
}

/** The ConfigError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ConfigError)
  return error as ConfigError
}

describe('loadConfigFile', () => {
  it('resolves a relative key against the config file and reads it', async () => {
    const file = await writeConfig(config('hb.key'))
    const key = generateKey()
    await writeKeyFile(join(dir, 'etc', 'hb.key'), key)
    const loaded = await loadConfigFile(file)
    expect(loaded.key.equals(key)).toBe(true)
    expect(loaded.config).toMatchObject({ node: 'alpha', key: join(dir, 'etc', 'hb.key'), interval: 1000 })
  })

  it('keeps an absolute key path', async () => {
    await writeKeyFile(join(dir, 'abs.key'), generateKey())
    const file = await writeConfig(config(join(dir, 'abs.key')))
    expect((await loadConfigFile(file)).config.key).toBe(join(dir, 'abs.key'))
  })

  it('takes coordination on etcd (the agent keeps its quorum)', async () => {
    const file = await writeConfig(
      `${config('hb.key')}coordination:\n  kind: etcd\n  endpoints: [https://10.0.0.9:2379]\n  leaseTtl: 4s\n`,
    )
    await writeKeyFile(join(dir, 'etc', 'hb.key'), generateKey())
    expect((await loadConfigFile(file)).config.coordination).toMatchObject({
      kind: 'etcd',
      endpoints: ['https://10.0.0.9:2379'],
      leaseTtl: 4000,
      margin: 1000,
      onQuorumLoss: 'release',
    })
  })

  it('says a missing config file is not found and how to make one', async () => {
    const file = join(dir, 'nope.yaml')
    const error = await rejection(loadConfigFile(file))
    expect(error.message).toBe(`config file ${file} not found`)
    expect(error.file).toBe(file)
    expect(error.hint).toMatch(/ipfo config import-hostconfig/)
  })

  it('passes on the problems of an invalid config', async () => {
    const file = await writeConfig('node: alpha\nkey: hb.key\nlinks: []\n')
    const error = await rejection(loadConfigFile(file))
    expect(error.message).toBe(`${file}: 1 problem\n  ${file}:3 links: must list at least 1 item`)
    expect(error.path).toBe('links')
  })

  it('refuses a missing key, at the "key" field', async () => {
    const file = await writeConfig(config('missing.key'))
    const error = await rejection(loadConfigFile(file))
    expect(error.message).toMatch(
      /key file .*missing\.key cannot be read \(ENOENT\) \(the "key" of .*ipfo\.yaml\)/,
    )
    expect(error).toMatchObject({ file, path: 'key', hint: expect.stringMatching(/ipfo keygen/) })
  })

  it('refuses a key that the group can read', async () => {
    const file = await writeConfig(config('hb.key'))
    await writeKeyFile(join(dir, 'etc', 'hb.key'), generateKey())
    await chmod(join(dir, 'etc', 'hb.key'), 0o640)
    const error = await rejection(loadConfigFile(file))
    expect(error.message).toMatch(/has mode 640/)
    expect(error).toMatchObject({ path: 'key', hint: expect.stringMatching(/chmod 600/) })
  })

  it('reads the keys accepted during a rotation, and refuses one that others can read', async () => {
    const key = generateKey()
    const old = generateKey()
    await writeKeyFile(join(dir, 'etc', 'new.key'), key).catch(async () => {
      await mkdir(join(dir, 'etc'), { recursive: true })
      await writeKeyFile(join(dir, 'etc', 'new.key'), key)
    })
    await writeKeyFile(join(dir, 'etc', 'old.key'), old)
    const file = await writeConfig(`${config('new.key')}acceptKeys: [old.key]\n`)
    const loaded = await loadConfigFile(file)
    expect(loaded.key.equals(key)).toBe(true)
    expect(loaded.acceptedKeys.map((k) => k.toString('hex'))).toEqual([old.toString('hex')])
    expect(loaded.config.acceptKeys).toEqual([join(dir, 'etc', 'old.key')])

    await chmod(join(dir, 'etc', 'old.key'), 0o640)
    const error = await rejection(loadConfigFile(file))
    expect(error.path).toBe('acceptKeys[0]')
    expect(error.message).toContain('mode 640')
  })
})

describe('loadConfigFile: what the checks name on disk', () => {
  async function withChecks(checks: string): Promise<string> {
    const file = await writeConfig(`${config('hb.key')}checks:\n${checks}\n`)
    await writeKeyFile(join(dir, 'etc', 'hb.key'), generateKey())
    return file
  }

  it('refuses an exec program that is missing, not executable or writable by others, with line and fix', async () => {
    const script = join(dir, 'check.sh')
    const open = join(dir, 'open.sh')
    await writeFile(script, '#!/bin/sh\nexit 0\n', { mode: 0o644 })
    await writeFile(open, '#!/bin/sh\nexit 0\n')
    await chmod(open, 0o777)
    const file = await withChecks(
      [
        `  gone: { kind: exec, argv: [${join(dir, 'missing')}] }`,
        `  plain: { kind: exec, argv: [${script}] }`,
        `  open: { kind: exec, argv: [${open}] }`,
        `  tls: { kind: https, url: "https://127.0.0.1/", ca: ${join(dir, 'no-ca.pem')} }`,
      ].join('\n'),
    )
    const error = await rejection(loadConfigFile(file))
    expect(error.message.split('\n')).toEqual([
      `${file}: 4 problems`,
      `  ${file}:5 checks.gone.argv[0]: ${join(dir, 'missing')} does not exist: install it, or write the full path of the check program`,
      `  ${file}:6 checks.plain.argv[0]: ${script} is not executable: chmod +x ${script}`,
      `  ${file}:7 checks.open.argv[0]: ${open} has mode 0777: others can change the program the agent runs as root; chmod go-w ${open}`,
      `  ${file}:8 checks.tls.ca: the CA file ${join(dir, 'no-ca.pem')} cannot be read (ENOENT): write the path of a PEM file of the certificates to trust`,
    ])
    expect(error.path).toBe('checks.gone.argv[0]')
  })

  it('accepts a runnable program', async () => {
    const script = join(dir, 'check.sh')
    await writeFile(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    const file = await withChecks(`  ok: { kind: exec, argv: [${script}, --quick] }`)
    const { config: loaded } = await loadConfigFile(file)
    expect(loaded.checks.ok).toMatchObject({ kind: 'exec', argv: [script, '--quick'] })
  })
})
