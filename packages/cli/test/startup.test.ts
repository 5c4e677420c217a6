import { execFile } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { Config } from '@oclif/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_NODE_FLAGS } from '../src/demo/agent-process.js'
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

describe("bin/run.js's sh line", () => {
  let dir: string
  beforeAll(async () => {
    // A fake `node` first in PATH shows how the line would start the real one.
    dir = await mkdtemp(join(tmpdir(), 'ipfo-startup-'))
    await writeFile(join(dir, 'node'), '#!/bin/sh\necho "$@"\n')
    await chmod(join(dir, 'node'), 0o755)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const startLine = async (args: string[]) =>
    (await run(BIN, args, { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } })).stdout.trim()

  it("gives the agent the agent's Node flags, and every other command none", async () => {
    expect(await startLine(['agent', '--config', '/etc/ipfo/ipfo.yaml'])).toBe(
      [...AGENT_NODE_FLAGS, BIN, 'agent', '--config', '/etc/ipfo/ipfo.yaml'].join(' '),
    )
    expect(await startLine(['status', '--json'])).toBe(`${BIN} status --json`)
    expect(await startLine([])).toBe(BIN)
  })

  it('is a no-op for JavaScript, so `node bin/run.js` works as well', async () => {
    const source = await readFile(BIN, 'utf8')
    expect(source.split('\n')[1]).toMatch(/^':' \/\/;/)
    expect((await runCli(['--version'])).code).toBe(0)
  })
})
