import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAST_COMMANDS } from '../src/fast/commands.js'
import { type Manifest, unsupported } from '../src/fast/manifest.js'
import { startFakeAgent } from './fake-agent.js'
import { stageInstalledCli } from './installed-cli.js'
import { BIN } from './run-cli.js'

/**
 * The fast path of bin/run.js (src/fast/) against oclif, on a copy of the CLI as installed (with
 * the oclif manifest) and a fake agent that always answers the same: for each argv, the same
 * stdout, stderr and exit code, and whether oclif was loaded at all.
 */

const RECORDER = fileURLToPath(new URL('fixtures/record-imports.mjs', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

let root: string
let remove: () => Promise<void>
let dir: string
let agent: Server
let env: NodeJS.ProcessEnv
const f: Record<string, string> = {}

beforeAll(async () => {
  ;({ root, remove } = await stageInstalledCli())
  dir = await mkdtemp(join(tmpdir(), 'ipfo-fast-path-'))
  f.socket = join(dir, 'agent.sock')
  f.none = join(dir, 'none.sock')
  agent = await startFakeAgent(f.socket)
  // The home has no oclif theme or user plugins; no DEBUG; NODE_ENV unset, as a sysadmin's shell.
  env = { ...process.env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' }
  for (const name of ['DEBUG', 'NODE_ENV', 'IPFO_SOCKET', 'NO_COLOR', 'FORCE_COLOR']) delete env[name]
  f.key = join(dir, 'hb.key')
  await writeFile(f.key, `${'ab'.repeat(32)}\n`, { mode: 0o600 })
  f.good = join(dir, 'good.yaml')
  await writeFile(
    f.good,
    `node: b\nkey: ${f.key}\ninterval: 20ms\ndeadAfter: 60ms\nlinks:\n  - { name: private, targets: [10.0.0.1] }\npeers:\n  - id: a\n    takeover:\n      - { interface: eth0, address: 192.168.1.100/24 }\n`,
  )
  // Sets the socket; invalid otherwise (no key, no links): status reads only paths.socket.
  f.withSocket = join(dir, 'with-socket.yaml')
  await writeFile(f.withSocket, `node: b\n# the agent's socket\npaths:\n  socket: ${f.socket}\n`)
  f.json = join(dir, 'with-socket.json')
  await writeFile(f.json, JSON.stringify({ node: 'b', paths: { socket: f.socket } }))
  f.noSocket = join(dir, 'no-socket.yaml')
  await writeFile(f.noSocket, 'node: b\n')
  f.broken = join(dir, 'broken.yaml')
  await writeFile(f.broken, 'node: b\npaths:\n  socket: [unclosed\n')
  f.hooks = join(dir, 'hooks')
  await mkdir(join(f.hooks, '192.0.2.100'), { recursive: true })
  await mkdir(join(f.hooks, '192.0.2.101'), { recursive: true })
  const script = join(f.hooks, '192.0.2.100', 'PostAcq-50-log')
  await writeFile(
    script,
    '#!/bin/sh\n# ipfo hook "log" from @ipfo/hooks-stdlib, installed by "ipfo hooks add".\n',
  )
  await chmod(script, 0o755)
  await writeFile(join(f.hooks, '192.0.2.100', 'Test'), '#!/bin/sh\nexit 0\n', { mode: 0o775 })
  f.withHooks = join(dir, 'with-hooks.yaml')
  await writeFile(f.withHooks, 'node: b\nhooks:\n  dir: ./hooks\n')
}, 60_000)

afterAll(async () => {
  await new Promise((resolve) => agent?.close(resolve))
  await rm(dir, { recursive: true, force: true })
  await remove?.()
})

function exec(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...env, ...extraEnv } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}

/** The installed `ipfo` (bin/run.js, so the fast path when it takes the argv), and what it loaded. */
async function installed(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Run & { loaded: string[] }> {
  const record = join(dir, `imports-${Math.random().toString(36).slice(2)}.txt`)
  await writeFile(record, '')
  const run = await exec(['--import', RECORDER, join(root, 'bin', 'run.js'), ...args], {
    ...extraEnv,
    IPFO_RECORD_IMPORTS: record,
  })
  const loaded = (await readFile(record, 'utf8')).split('\n').filter(Boolean)
  return { ...run, loaded }
}

/** oclif's own answer: its execute(), as bin/run.js calls it, never the fast path. */
function oclif(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const bin = pathToFileURL(join(root, 'bin', 'run.js')).href
  // argv as bin/run.js sees it (oclif's help reads process.argv, not only `args`).
  const script = `process.argv = [process.execPath, ${JSON.stringify(fileURLToPath(bin))}, ...${JSON.stringify(args)}]; globalThis.oclif = { enableAutoTranspile: false }; const { execute } = await import('@oclif/core/execute'); await execute({ dir: ${JSON.stringify(bin)} })`
  return exec(['--input-type=module', '-e', script], extraEnv)
}

const usesOclif = (loaded: readonly string[]) => loaded.some((m) => /[/\\]@oclif[/\\]/.test(m))

interface Case {
  /** Arguments, with `$name` for the files made in beforeAll. */
  readonly argv: string
  readonly env?: Record<string, string>
  /** Whether the fast path takes it (else oclif runs it). */
  readonly fast: boolean
  readonly code: number
}

const CASES: Record<string, Case[]> = {
  status: [
    { argv: 'status --socket $socket', fast: true, code: 0 },
    { argv: 'status --json --socket $socket', fast: true, code: 0 },
    { argv: 'status -c $withSocket --json', fast: true, code: 0 },
    { argv: 'status --config=$withSocket', fast: true, code: 0 },
    { argv: 'status --config $json --json', fast: true, code: 0 },
    { argv: 'status -c $noSocket', env: { IPFO_SOCKET: '$socket' }, fast: true, code: 0 },
    { argv: 'status --socket $socket --every 100 --json', fast: true, code: 0 },
    { argv: 'status --socket $none', fast: true, code: 5 },
    { argv: 'status --socket $none --json', fast: true, code: 5 },
    { argv: 'status -c $broken', fast: true, code: 3 },
    { argv: 'status -c $broken --json', fast: true, code: 3 },
    { argv: 'status --socket $socket --every 10', fast: false, code: 2 },
    { argv: 'status --socket $socket --every ten', fast: false, code: 2 },
    { argv: 'status --socket $socket --bogus', fast: false, code: 2 },
    { argv: 'status --socket $socket --socket $socket', fast: false, code: 2 },
    { argv: 'status --socket', fast: false, code: 2 },
    { argv: 'status --socket $none --debug', fast: false, code: 5 },
    { argv: 'status extra --socket $socket', fast: false, code: 2 },
  ],
  events: [
    { argv: 'events --socket $socket', fast: true, code: 0 },
    { argv: 'events --json --socket $socket', fast: true, code: 0 },
    { argv: 'events -c $withSocket', fast: true, code: 0 },
    { argv: 'events --socket $none --json', fast: true, code: 5 },
    { argv: 'events -f --socket $none', fast: false, code: 5 },
  ],
  takeover: [
    { argv: 'takeover a --socket $socket', fast: true, code: 0 },
    { argv: 'takeover a --socket $socket --json', fast: true, code: 0 },
    { argv: 'takeover --json -c $withSocket a', fast: true, code: 0 },
    { argv: 'takeover c --socket $socket', fast: true, code: 5 },
    { argv: 'takeover c --socket $socket --json', fast: true, code: 5 },
    { argv: 'takeover --socket $socket', fast: false, code: 2 },
    { argv: 'takeover a b --socket $socket', fast: false, code: 2 },
  ],
  release: [
    { argv: 'release a --socket $socket', fast: true, code: 0 },
    { argv: 'release --json a --socket $socket', fast: true, code: 0 },
    { argv: 'release c --socket $socket', fast: true, code: 5 },
  ],
  maintenance: [
    { argv: 'maintenance on --socket $socket', fast: true, code: 0 },
    { argv: 'maintenance off --json --socket $socket', fast: true, code: 0 },
    { argv: 'maintenance on --socket $none --json', fast: true, code: 5 },
    { argv: 'maintenance maybe --socket $socket', fast: false, code: 2 },
  ],
  'config check': [
    { argv: 'config check -c $good', fast: true, code: 0 },
    { argv: 'config check --config $good --json', fast: true, code: 0 },
    { argv: 'config check -c $broken', fast: true, code: 3 },
    { argv: 'config check -c $withSocket --json', fast: true, code: 3 },
    { argv: 'config check -c $dir/missing.yaml', fast: true, code: 3 },
    { argv: 'config check --socket $socket', fast: false, code: 2 },
  ],
  'hooks list': [
    { argv: 'hooks list --dir $hooks', fast: true, code: 0 },
    { argv: 'hooks list --dir $hooks --json', fast: true, code: 0 },
    { argv: 'hooks list --dir $hooks --address 192.0.2.100', fast: true, code: 0 },
    { argv: 'hooks list -c $withHooks --json', fast: true, code: 0 },
    { argv: 'hooks list --dir $dir/none', fast: true, code: 3 },
    { argv: 'hooks list --dir $hooks --address nonsense --json', fast: true, code: 3 },
    { argv: 'hooks list -c $broken', fast: true, code: 3 },
    { argv: 'hooks list --help', fast: false, code: 0 },
  ],
}

const fill = (text: string) =>
  text.replace(/\$(\w+)/g, (_, name: string) => (name === 'dir' ? dir : f[name]!))

describe('the fast path answers exactly as oclif does', () => {
  for (const [command, cases] of Object.entries(CASES)) {
    it.each(cases)(`${command}: $argv`, async ({ argv, env: extra = {}, fast, code }) => {
      const args = fill(argv).split(' ')
      const extraEnv = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, fill(v)]))
      const [mine, theirs] = await Promise.all([installed(args, extraEnv), oclif(args, extraEnv)])
      expect({ code: mine.code, stdout: mine.stdout, stderr: mine.stderr }).toEqual(theirs)
      expect(mine.code).toBe(code)
      expect(usesOclif(mine.loaded), 'loaded oclif').toBe(!fast)
    })
  }
})

describe('import budget (the everyday commands, installed)', () => {
  const BUDGET: { argv: string; zod: boolean; yaml: boolean }[] = [
    { argv: 'status --json --socket $socket', zod: false, yaml: false },
    { argv: 'status -c $noSocket', zod: false, yaml: false },
    // A config that sets paths.socket is read with yaml, never with the schema.
    { argv: 'status -c $withSocket --json', zod: false, yaml: true },
    { argv: 'events --socket $socket', zod: false, yaml: false },
    { argv: 'takeover a --socket $socket', zod: false, yaml: false },
    { argv: 'release a --socket $socket', zod: false, yaml: false },
    { argv: 'maintenance on --socket $socket', zod: false, yaml: false },
    { argv: 'hooks list --dir $hooks', zod: false, yaml: false },
    { argv: 'config check -c $good', zod: true, yaml: true },
  ]
  it.each(BUDGET)('$argv loads no @oclif module (zod: $zod, yaml: $yaml)', async ({ argv, zod, yaml }) => {
    const run = await installed(
      fill(argv).split(' '),
      argv.startsWith('status -c $noSocket') ? { IPFO_SOCKET: f.socket! } : {},
    )
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.loaded.filter((m) => /[/\\]@oclif[/\\]/.test(m))).toEqual([])
    // zod and yaml as packages, or in core's bundles (config-file.bundle.js holds both; the peek's
    // bundle loads yaml as a chunk of its own, yaml-document).
    const ZOD = /[/\\]node_modules[/\\]zod[/\\]|config-file\.bundle\.js$/
    const YAML = /[/\\]node_modules[/\\]yaml[/\\]|config-file\.bundle\.js$|yaml-document/
    expect(
      run.loaded.some((m) => ZOD.test(m)),
      'zod',
    ).toBe(zod)
    expect(
      run.loaded.some((m) => YAML.test(m)),
      'yaml',
    ).toBe(yaml)
  })

  it('leaves everything to oclif where there is no manifest (a repository checkout)', async () => {
    const record = join(dir, 'imports-repo.txt')
    await writeFile(record, '')
    const run = await exec(['--import', RECORDER, BIN, 'status', '--json', '--socket', f.socket!], {
      IPFO_RECORD_IMPORTS: record,
    })
    expect(run.code).toBe(0)
    expect(usesOclif((await readFile(record, 'utf8')).split('\n'))).toBe(true)
  })

  it('steps aside for a user theme or oclif variables', async () => {
    const themed = { XDG_CONFIG_HOME: join(dir, 'themed') }
    await mkdir(join(dir, 'themed', 'ipfo'), { recursive: true })
    await writeFile(join(dir, 'themed', 'ipfo', 'theme.json'), '{}')
    for (const extra of [themed, { IPFO_CONTENT_TYPE: 'json' }, { DEBUG: '1' }]) {
      const run = await installed(['takeover', 'a', '--socket', f.socket!], extra)
      expect(usesOclif(run.loaded), JSON.stringify(extra)).toBe(true)
    }
  })
})

describe("the fast parser supports every flag of the everyday commands' manifest entries", () => {
  it.each(FAST_COMMANDS.map((c) => [c.id, c] as const))('%s', async (id, command) => {
    const manifest = JSON.parse(await readFile(join(root, 'oclif.manifest.json'), 'utf8')) as Manifest
    const entry = manifest.commands[id]
    expect(entry, `${id} in the manifest`).toBeDefined()
    expect(unsupported(entry!)).toEqual([])
    // Each option flag's value parses as the class's own flag parses it (Flags.integer's min, ...).
    const { Config } = await import('@oclif/core')
    const config = await Config.load(root)
    const cls = await config.findCommand(id)!.load()
    for (const [name, flag] of Object.entries(cls.flags ?? {})) {
      if (flag.type !== 'option') continue
      for (const input of ['abc', '10', '49', '50', '1000', '-1', '007', '/etc/ipfo/ipfo.yaml']) {
        const theirs = await (flag.parse as (i: string, c: unknown, o: unknown) => Promise<unknown>)(
          input,
          {},
          flag,
        ).catch(() => undefined)
        const mine = command.values[name] ? command.values[name]!(input) : input
        expect(mine, `--${name} ${input}`).toEqual(theirs)
      }
    }
  })
})
