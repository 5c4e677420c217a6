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

describe('ipfo autocomplete', () => {
  it('generates bash and zsh completion that know every command and its flags', async () => {
    const home = join(dir, 'home')
    const result = await runCli(['autocomplete', '--refresh-cache'], {
      env: { HOME: home, XDG_CACHE_HOME: join(home, '.cache') },
    })
    expect(result.code).toBe(0)
    const bash = await readFile(join(home, '.cache/ipfo/autocomplete/functions/bash/ipfo.bash'), 'utf8')
    for (const command of ['agent', 'takeover', 'hooks:add', 'config:check', 'service:install'])
      expect(bash).toContain(command)
    expect(bash).toContain('--socket')
    const zsh = await readFile(join(home, '.cache/ipfo/autocomplete/functions/zsh/_ipfo'), 'utf8')
    expect(zsh).toContain('maintenance')
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

describe('every command', () => {
  it('has a summary and examples in --help, and takes --json and --debug', async () => {
    const { Config } = await import('@oclif/core')
    const config = await Config.load(new URL('..', import.meta.url).pathname)
    const own = config.commands.filter((c) => c.pluginName === '@ipfo/cli')
    expect(own.length).toBeGreaterThanOrEqual(24)
    const missing = own.flatMap((c) => [
      ...(c.summary ? [] : [`${c.id}: no summary`]),
      ...((c.examples?.length ?? 0) > 0 ? [] : [`${c.id}: no examples`]),
      ...('json' in c.flags ? [] : [`${c.id}: no --json`]),
      ...('debug' in c.flags ? [] : [`${c.id}: no --debug`]),
    ])
    expect(missing).toEqual([])
  })

  it('an unexpected error is one line with a hint, and --debug shows the stack', async () => {
    const plain = await runCli(['status', '--socket', '/proc/nonexistent/x.sock'])
    expect(plain.stderr).not.toMatch(/\n\s+at /)
    const debug = await runCli(['config', 'check', '--config', '/proc/nonexistent.yaml', '--debug'])
    expect(debug.code).not.toBe(0)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})
