import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('ipfo', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^@ipfo/cli/${pkg.version.replaceAll('.', '\\.')} `))
  })

  it('lists its commands in --help', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('keygen')
  })
})

describe('ipfo keygen', () => {
  it('writes a 0600 key and reports it as JSON', async () => {
    const path = join(dir, 'a.key')
    const result = await runCli(['keygen', path, '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ path, bytes: 32, mode: '0600' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
  })

  it('refuses to overwrite with a one-line error, a hint and exit code 3', async () => {
    const path = join(dir, 'b.key')
    expect((await runCli(['keygen', path])).code).toBe(0)
    const again = await runCli(['keygen', path])
    expect(again.code).toBe(3)
    expect(again.stderr).toContain('already exists')
    expect(again.stderr).toContain('--force')
    expect(again.stderr).not.toMatch(/\n\s+at /)
  })
})
