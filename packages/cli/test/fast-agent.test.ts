import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { freeUdpPort } from '@ipfo/testkit'
import { warn } from '@oclif/core/errors'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import Agent from '../src/commands/agent.js'
import { writeConfigFiles } from '../src/demo/node-files.js'
import { AGENT_FAST_FLAGS, parseAgentArgv, warningText } from '../src/fast/agent.js'
import { BIN } from './run-cli.js'

/**
 * `ipfo agent` without oclif (src/fast/agent.ts, taken by bin/run.js with or without a manifest):
 * the same flags as the oclif command, the same answers, and no oclif module loaded.
 */

const RECORDER = fileURLToPath(new URL('fixtures/record-imports.mjs', import.meta.url))

let dir: string
let env: NodeJS.ProcessEnv
const f: Record<string, string> = {}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-fast-agent-'))
  env = { ...process.env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' }
  for (const name of ['DEBUG', 'NODE_ENV', 'NO_COLOR', 'FORCE_COLOR', 'NOTIFY_SOCKET']) delete env[name]
  f.bad = join(dir, 'bad.yaml')
  await writeFile(f.bad, 'node: a\ninterval: fast\n')
  // One node alone on loopback, its address simulated: it starts, holds its address, and stops.
  const port = await freeUdpPort()
  const files = await writeConfigFiles(join(dir, 'alone'), {
    a: {
      interval: '50ms',
      deadAfter: '150ms',
      links: [{ name: 'private', listen: '127.0.0.1', port, targets: [`127.0.0.1:${port + 1}`] }],
      owns: [{ interface: 'demo0', address: '192.0.2.100/24' }],
      peers: [{ id: 'b' }],
    },
  })
  f.good = files.config.a
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

function exec(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}

/** bin/run.js as installed, and the modules it loaded. */
async function mine(args: string[]): Promise<Run & { oclif: boolean }> {
  const record = join(dir, `imports-${Math.random().toString(36).slice(2)}.txt`)
  await writeFile(record, '')
  env.IPFO_RECORD_IMPORTS = record
  const run = await exec(['--import', RECORDER, BIN, ...args])
  delete env.IPFO_RECORD_IMPORTS
  const loaded = (await readFile(record, 'utf8')).split('\n')
  return { ...run, oclif: loaded.some((m) => /[/\\]@oclif[/\\]/.test(m)) }
}

/** oclif's own answer: its execute(), as bin/run.js calls it. */
function theirs(args: string[]): Promise<Run> {
  const bin = pathToFileURL(BIN).href
  const script = `process.argv = [process.execPath, ${JSON.stringify(BIN)}, ...${JSON.stringify(args)}]; globalThis.oclif = { enableAutoTranspile: false }; const { execute } = await import('@oclif/core/execute'); await execute({ dir: ${JSON.stringify(bin)} })`
  return exec(['--input-type=module', '-e', script])
}

describe('the agent fast path takes the oclif command’s flags', () => {
  it('has every flag of `ipfo agent` but --debug, with the same short name and kind', () => {
    const theirs = Object.entries(Agent.flags).map(([name, flag]) => ({
      name,
      char: (flag as { char?: string }).char,
      value: flag.type === 'option',
    }))
    // oclif's enableJsonFlag adds --json; --debug (stack traces) stays with oclif.
    theirs.push({ name: 'json', char: undefined, value: false })
    const ours = Object.entries(AGENT_FAST_FLAGS).map(([name, flag]) => ({
      name,
      char: 'char' in flag ? flag.char : undefined,
      value: flag.value,
    }))
    expect(Agent.enableJsonFlag).toBe(true)
    expect(ours.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      theirs.sort((a, b) => a.name.localeCompare(b.name)),
    )
  })

  it('parses what oclif parses the same way, and leaves the rest to oclif', () => {
    expect(parseAgentArgv([])).toEqual({
      config: '/etc/ipfo/ipfo.yaml',
      simulateAddresses: undefined,
      json: false,
    })
    expect(parseAgentArgv(['-c', 'x.yaml', '--json'])).toEqual({
      config: 'x.yaml',
      simulateAddresses: undefined,
      json: true,
    })
    expect(parseAgentArgv(['--config=x.yaml', '--simulate-addresses', 's.json'])).toMatchObject({
      config: 'x.yaml',
      simulateAddresses: 's.json',
    })
    for (const argv of [
      ['--help'],
      ['--debug'],
      ['-h'],
      ['extra'],
      ['--'],
      ['-cx.yaml'],
      ['-c=x.yaml'],
      ['--config'],
      ['--config='],
      ['--config', '--json'],
      ['--config', 'a', '--config', 'b'],
      ['--json', '--json'],
      ['--json=true'],
      ['--bogus'],
    ])
      expect(parseAgentArgv(argv), argv.join(' ')).toBeUndefined()
  })

  it('prints a warning as oclif’s warn does', () => {
    const written: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    try {
      warn('SIGHUP: config not reloaded, the running one stays')
    } finally {
      spy.mockRestore()
    }
    expect(warningText('SIGHUP: config not reloaded, the running one stays')).toBe(written.join(''))
  })
})

describe('bin/run.js agent', () => {
  it.each([
    { argv: 'agent -c $bad', fast: true },
    { argv: 'agent --config $bad --json', fast: true },
    { argv: 'agent --config=$dir/missing.yaml', fast: true },
    { argv: 'agent -c $bad --debug', fast: false },
    { argv: 'agent -c $bad extra', fast: false },
  ])('$argv: as oclif answers (fast path: $fast)', async ({ argv, fast }) => {
    const args = argv.replace(/\$(\w+)/g, (_, name: string) => (name === 'dir' ? dir : f[name]!)).split(' ')
    const [a, b] = await Promise.all([mine(args), theirs(args)])
    // --debug's stack trace ends in the script that called execute(): bin/run.js, or theirs's -e.
    const entry = (run: Run) => ({ ...run, stderr: run.stderr.replace(/^ +at async file:.*\n/m, '') })
    expect(entry({ code: a.code, stdout: a.stdout, stderr: a.stderr })).toEqual(entry(b))
    expect(a.code).not.toBe(0)
    expect(a.oclif, 'loaded oclif').toBe(!fast)
  })

  it('runs an agent without oclif until SIGTERM, and says how it stopped under --json', async () => {
    const record = join(dir, 'imports-agent.txt')
    await writeFile(record, '')
    const child = spawn(
      process.execPath,
      [
        '--import',
        RECORDER,
        BIN,
        'agent',
        '-c',
        f.good!,
        '--simulate-addresses',
        join(dir, 'held.json'),
        '--json',
      ],
      { env: { ...env, IPFO_RECORD_IMPORTS: record }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
    try {
      // Its own address taken: the agent runs.
      await expect
        .poll(async () => readFile(join(dir, 'held.json'), 'utf8').catch(() => ''), { timeout: 15_000 })
        .toContain('192.0.2.100')
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited, stderr).toBe(0)
    const last = stdout.slice(stdout.lastIndexOf('\n{\n') + 1)
    expect(JSON.parse(last)).toEqual({ node: 'a', stopped: 'SIGTERM' })
    const loaded = (await readFile(record, 'utf8')).split('\n')
    expect(loaded.filter((m) => /[/\\]@oclif[/\\]/.test(m))).toEqual([])
    expect(loaded.some((m) => m.includes('run-agent.js'))).toBe(true)
  })
})
