import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HookInputError } from './errors.js'
import { logHook } from './hooks/log.js'
import { mountHook } from './hooks/mount.js'
import { webhookHook } from './hooks/webhook.js'
import { assertNoInlineSecrets, parseHookOptions, readHookOptions, readSecret } from './sidecar.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-sidecar-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('inline secrets', () => {
  it('refuses an inline password and says how to give it by reference', () => {
    expect(() => assertNoInlineSecrets({ url: 'smtp://mx', user: 'ipfo', password: 'hunter2' })).toThrow(
      expect.objectContaining({
        message: 'option "password" holds a secret inline; secrets are only given by reference',
        hint: 'replace it with "passwordFile": "/etc/ipfo/<name>" (a file of mode 0600) or "passwordEnv": "<VARIABLE>"',
      }),
    )
  })

  it('refuses tokens, Authorization headers and URLs with a password, at any depth', () => {
    expect(() => assertNoInlineSecrets({ token: 'abc' })).toThrow(/"token" holds a secret/)
    expect(() => assertNoInlineSecrets({ headers: { Authorization: 'Bearer x' } })).toThrow(
      /"headers.Authorization"/,
    )
    expect(() => assertNoInlineSecrets({ url: 'smtp://ipfo:hunter2@mx:587' })).toThrow(/URL with a password/)
    expect(() =>
      assertNoInlineSecrets({ passwordFile: '/etc/ipfo/smtp.pass', passwordEnv: 'X' }),
    ).not.toThrow()
  })

  it('refuses a password in mount options', () => {
    const raw = {
      type: 'smb',
      source: '//nas/share',
      target: '/srv/share',
      mountOptions: 'vers=3.0,password=x',
    }
    expect(() => parseHookOptions(mountHook, raw)).toThrow(/credentialsFile/)
  })
})

describe('reading a sidecar', () => {
  it('reads and validates the options, with defaults', async () => {
    const file = join(dir, 'PostAcq-10-log.json')
    await writeFile(file, JSON.stringify({ to: 'file', path: '/var/log/ipfo-hooks.jsonl' }), { mode: 0o600 })
    expect(await readHookOptions(logHook, file)).toEqual({ to: 'file', path: '/var/log/ipfo-hooks.jsonl' })
  })

  it('treats a missing sidecar as no options', async () => {
    expect(await readHookOptions(logHook, join(dir, 'none.json'))).toEqual({ to: 'stdout' })
    await expect(readHookOptions(webhookHook, join(dir, 'none.json'))).rejects.toThrow(
      /is missing.*\n {2}url:/,
    )
  })

  it('refuses an inline password in the file, a sidecar others can change, and bad JSON', async () => {
    const file = join(dir, 'PostAcq-50-email.json')
    await writeFile(file, '{ "url": "smtp://mx:587", "user": "ipfo", "password": "hunter2" }', {
      mode: 0o600,
    })
    await expect(readHookOptions(webhookHook, file)).rejects.toThrow(/"password" holds a secret inline/)
    await chmod(file, 0o666)
    await expect(readHookOptions(webhookHook, file)).rejects.toThrow(
      /can be changed by other users \(mode 666\)/,
    )
    await writeFile(join(dir, 'bad.json'), '{ url: x }', { mode: 0o600 })
    await expect(readHookOptions(webhookHook, join(dir, 'bad.json'))).rejects.toThrow(/not valid JSON/)
  })

  it('names each invalid field', async () => {
    expect(() => parseHookOptions(webhookHook, { url: 'ftp://x', timeout: 'soon' })).toThrow(
      /url: an http:\/\/ or https:\/\/ URL\n {2}timeout: "soon" is not a duration/,
    )
  })
})

describe('readSecret', () => {
  it('reads a file without its trailing newline, or a variable; refuses a file others can read', async () => {
    const file = join(dir, 'token')
    await writeFile(file, 'abc123\n', { mode: 0o600 })
    expect(await readSecret({ file }, {}, 'token')).toBe('abc123')
    expect(await readSecret({ env: 'TOKEN' }, { TOKEN: 'xyz' }, 'token')).toBe('xyz')
    expect(await readSecret({}, {}, 'token')).toBeUndefined()
    await chmod(file, 0o640)
    await expect(readSecret({ file }, {}, 'token')).rejects.toThrow(HookInputError)
    await expect(readSecret({ env: 'NOPE' }, {}, 'token')).rejects.toThrow(/NOPE is not set/)
  })
})
