import { execFile, execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentProcess } from '../src/demo/agent-process.js'
import { loopbackStage } from '../src/demo/loopback-stage.js'
import { type NodeFiles, writeNodeFiles } from '../src/demo/node-files.js'
import { BIN, runCli } from './run-cli.js'

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the escape character itself
const ANSI = /\x1b\[/
/** The environment of a script reading ipfo's output: a pipe, no colour asked for or refused. */
const piped = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color' }

let dir: string
let files: NodeFiles
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-render-'))
  const stage = loopbackStage(dir, 30_000 + Math.floor(Math.random() * 20_000))
  files = await writeNodeFiles(stage, dir)
  for (const node of ['a', 'b'] as const)
    new AgentProcess(
      node,
      stage.agentCommand(node, ['--config', files.config[node]]),
      () => {},
      () => {},
    ).start()
  for (let i = 0; i < 100; i++) {
    if ((await runCli(['status', '--socket', files.socket.b, '--json'])).code === 0) break
    await new Promise((r) => setTimeout(r, 100))
  }
})
afterAll(async () => {
  await AgentProcess.killAll()
  await rm(dir, { recursive: true, force: true })
})

describe('human output through a pipe', () => {
  it('has no ANSI escape codes: status, events, doctor', async () => {
    for (const args of [
      ['status', '--socket', files.socket.b],
      ['events', '--socket', files.socket.b],
      ['doctor', '--config', files.config.b],
    ]) {
      const result = await runCli(args, { env: piped })
      expect(result.stdout.length, args.join(' ')).toBeGreaterThan(0)
      expect(result.stdout, args.join(' ')).not.toMatch(ANSI)
      // No spinner either: stderr stays empty of redraws.
      expect(result.stderr, args.join(' ')).not.toMatch(ANSI)
    }
  })

  it('is coloured when FORCE_COLOR asks, and never when NO_COLOR is set', async () => {
    const args = ['doctor', '--config', files.config.b]
    expect((await runCli(args, { env: { ...piped, FORCE_COLOR: '1' } })).stdout).toMatch(ANSI)
    expect((await runCli(args, { env: { ...piped, FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toMatch(
      ANSI,
    )
  })

  it('--json is plain JSON even when colour is forced', async () => {
    const result = await runCli(['doctor', '--config', files.config.b, '--json'], {
      env: { ...piped, FORCE_COLOR: '1' },
    })
    expect(result.stdout).not.toMatch(ANSI)
    expect(JSON.parse(result.stdout)).toMatchObject({ checks: expect.any(Array) })
  })

  it('the demo timeline too', async () => {
    const result = await runCli(['demo', '--loopback'], { env: piped })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('takeover:')
    expect(result.stdout).not.toMatch(ANSI)
    expect(result.stderr).not.toMatch(ANSI)
  })
})

/** util-linux `script` gives a command a terminal (a pty); BSD's takes other arguments. */
const noPty = (() => {
  if (process.platform !== 'linux') return 'needs util-linux script'
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' })
    return undefined
  } catch {
    return 'script (util-linux) is not installed'
  }
})()

describe.skipIf(noPty !== undefined)(`human output on a terminal ${noPty ?? ''}`, () => {
  const onTerminal = (args: string[], env: Record<string, string | undefined> = {}) =>
    new Promise<string>((resolve) => {
      const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
      execFile(
        'script',
        ['-qec', command, '/dev/null'],
        { env: { ...process.env, ...piped, CI: undefined, ...env } },
        (_, stdout) => resolve(stdout),
      )
    })

  it('is coloured, with a spinner while the checks run', async () => {
    const out = await onTerminal(['doctor', '--config', files.config.b])
    expect(out).toContain('\x1b[32mok\x1b[39m')
    expect(out).toContain('ipfo doctor...')
  })

  it('with NO_COLOR: no colour at all, the same table', async () => {
    const out = await onTerminal(['doctor', '--config', files.config.b], { NO_COLOR: '1' })
    // biome-ignore lint/suspicious/noControlCharactersInRegex: SGR colour codes
    expect(out).not.toMatch(/\x1b\[[0-9;]*m/)
    expect(out).toMatch(/ok {4}config and key/)
  })
})
