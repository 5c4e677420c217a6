import { execFile } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { Config } from '@oclif/core'
import { describe, expect, it } from 'vitest'
import { BIN, runCli } from './run-cli.js'

const run = promisify(execFile)
const CLI_DIR = fileURLToPath(new URL('..', import.meta.url))

/** What oclif itself prints for these arguments: its execute(), without bin/run.js's fast path. */
async function oclifOutput(args: string[]): Promise<{ code: number; stdout: string }> {
  const script = `import { execute } from '@oclif/core'; await execute({ dir: ${JSON.stringify(pathToFileURL(BIN).href)}, args: ${JSON.stringify(args)} })`
  return run(process.execPath, ['--input-type=module', '-e', script], { cwd: CLI_DIR }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  )
}

describe('ipfo --version fast path (bin/run.js answers without loading oclif)', () => {
  it("prints exactly what oclif prints: ipfo's name/version platform-arch node-version", async () => {
    const fast = await runCli(['--version'])
    const oclif = await oclifOutput(['--version'])
    expect(oclif.code).toBe(0)
    expect(fast.code).toBe(0)
    expect(fast.stdout).toBe(oclif.stdout)
    const config = await Config.load(CLI_DIR)
    expect(fast.stdout).toBe(`${config.userAgent}\n`)
  })

  it('answers like oclif when more arguments follow, and leaves other flags (-v) to oclif', async () => {
    expect((await runCli(['--version', 'status'])).stdout).toBe(
      (await oclifOutput(['--version', 'status'])).stdout,
    )
    const short = await runCli(['-v'])
    expect(short.code).toBe(2)
    expect(short.stderr).toContain('command -v not found')
  })

  it('is right to skip oclif: no plugin has a hook that runs before the version is printed', async () => {
    const config = await Config.load(CLI_DIR)
    for (const plugin of config.plugins.values()) {
      // If this fails, a plugin now runs code on init: make versionLine() in bin/run.js step aside.
      expect(
        Object.keys(plugin.hooks).filter((h) => h === 'init' || h === 'finally'),
        plugin.name,
      ).toEqual([])
    }
  })
})

describe('bin/run.js', () => {
  it('is a plain node script (publint, npm bin shims and every platform expect one)', async () => {
    const { readFile } = await import('node:fs/promises')
    expect((await readFile(BIN, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it('runs dist without loading typescript or tsx under NODE_ENV=test (the agents of every test)', async () => {
    // Lists, as the process exits, the CommonJS modules of typescript and tsx it loaded.
    const probe = `import { createRequire } from 'node:module'
const cache = createRequire(process.execPath).cache
process.on('exit', () => process.stderr.write('loaded: ' + Object.keys(cache).filter((m) => /node_modules\\/(typescript|tsx)\\//.test(m)).join(' ') + '\\n'))`
    const { stderr } = await run(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, BIN, '--help'],
      { env: { ...process.env, NODE_ENV: 'test' } },
    )
    expect(stderr.trim().split('\n').at(-1)).toBe('loaded:')
  })
})
