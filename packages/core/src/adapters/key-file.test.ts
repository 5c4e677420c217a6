import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../model/errors.js'
import { generateKey, readKeyFile, writeKeyFile } from './key-file.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-key-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('key files', () => {
  it('writes a 0600 key that reads back equal', async () => {
    const path = join(dir, 'hb.key')
    const key = generateKey()
    await writeKeyFile(path, key)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await readFile(path, 'utf8')).trim()).toMatch(/^[0-9a-f]{64}$/)
    expect((await readKeyFile(path)).equals(key)).toBe(true)
  })

  it('refuses to overwrite an existing key without force', async () => {
    const path = join(dir, 'hb.key')
    await writeKeyFile(path, generateKey())
    await expect(writeKeyFile(path, generateKey())).rejects.toThrow(/already exists/)
    await expect(writeKeyFile(path, generateKey(), { force: true })).resolves.toBeUndefined()
  })

  it('refuses a key that group or others can read, with the chmod to fix it', async () => {
    const path = join(dir, 'hb.key')
    await writeKeyFile(path, generateKey())
    await chmod(path, 0o644)
    const error = await readKeyFile(path).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message).toContain('mode 644')
    expect((error as ConfigError).hint).toBe(`run "chmod 600 ${path}"`)
  })

  it('names a missing key file and how to create one', async () => {
    const path = join(dir, 'missing.key')
    await expect(readKeyFile(path)).rejects.toMatchObject({
      message: expect.stringContaining('ENOENT'),
      hint: `create one with "ipfo keygen ${path}" and copy it to every node`,
    })
  })

  it('refuses a file that is not a hex key', async () => {
    const path = join(dir, 'bad.key')
    await writeFile(path, 'not a key\n', { mode: 0o600 })
    await expect(readKeyFile(path)).rejects.toThrow(/hex key/)
  })
})
