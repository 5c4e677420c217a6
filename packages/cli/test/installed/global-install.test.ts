/**
 * The CLI as users get it: every workspace packed (`npm pack`), served by a local registry for the
 * @ipfo scope, and `npm install -g @ipfo/cli` into a fresh prefix. Then the installed `ipfo` runs
 * from that prefix, with nothing of the repository on its PATH.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  filesMentioning,
  type InstalledPackages,
  installPacked,
  linksLeaving,
  runInstalled,
} from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '')
const REPO_MANIFEST = join(ROOT, 'packages/cli/oclif.manifest.json')
const WORKSPACES = ['packages/core', 'packages/afp', 'packages/hooks-stdlib', 'packages/cli']
const SIBLINGS = ['@ipfo/afp', '@ipfo/core', '@ipfo/hooks-stdlib']
const ADDRESS = '192.0.2.100'

let installed: InstalledPackages | undefined
let work: string
let manifestInRepo: boolean

beforeAll(async () => {
  manifestInRepo = existsSync(REPO_MANIFEST)
  work = await mkdtemp(join(tmpdir(), 'ipfo-installed-cli-'))
  installed = await installPacked({ root: ROOT, workspaces: WORKSPACES, spec: '@ipfo/cli' })
}, 180_000)

afterAll(async () => {
  await installed?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

/** The install of this suite (beforeAll failed if there is none). */
function got(): InstalledPackages {
  if (installed === undefined) throw new Error('the install in beforeAll failed; see its error')
  return installed
}
const cliDir = () => join(got().modules, '@ipfo/cli')
const ipfo = (args: string[], timeoutMs?: number) =>
  runInstalled(got().prefix, 'ipfo', args, { cwd: work, ...(timeoutMs ? { timeoutMs } : {}) })
const packedVersion = (name: string) => got().packed.find((p) => p.name === name)?.version

describe('npm install -g @ipfo/cli (from the packed tarballs)', () => {
  it('puts only @ipfo/cli at the top, its @ipfo dependencies under it, all from the local registry', async () => {
    const { modules, prefix, registry } = got()
    expect(await readdir(modules)).toEqual(['@ipfo'])
    expect(await readdir(join(modules, '@ipfo'))).toEqual(['cli'])
    expect((await readdir(join(cliDir(), 'node_modules/@ipfo'))).map((n) => `@ipfo/${n}`).sort()).toEqual(
      SIBLINGS,
    )
    for (const name of SIBLINGS) {
      const pkg = JSON.parse(await readFile(join(cliDir(), 'node_modules', name, 'package.json'), 'utf8'))
      expect(pkg.version, name).toBe(packedVersion(name))
    }
    // The stdlib hooks' executables stay inside the CLI's tree; only `ipfo` is linked onto PATH.
    expect(await readdir(join(prefix, 'bin'))).toEqual(['ipfo'])
    // npm resolved every @ipfo package through the local registry (the scope is not on npmjs.com).
    expect([...new Set(registry.requests.filter((r) => r.startsWith('@ipfo')))].sort()).toEqual(
      ['@ipfo%2fafp', '@ipfo%2fcli', '@ipfo%2fcore', '@ipfo%2fhooks-stdlib'].sort(),
    )
  })

  it('holds no link or path back into the repository', async () => {
    const { prefix } = got()
    expect(await linksLeaving(prefix)).toEqual([])
    for (const dir of [cliDir(), ...SIBLINGS.map((name) => join(cliDir(), 'node_modules', name))])
      expect(await filesMentioning(dir, ROOT), dir).toEqual([])
  })

  it("ships the oclif manifest that prepack writes, listing the commands, and leaves the repository's CLI folder as it was", async () => {
    const manifest = JSON.parse(await readFile(join(cliDir(), 'oclif.manifest.json'), 'utf8'))
    expect(manifest.version).toBe(packedVersion('@ipfo/cli'))
    expect(Object.keys(manifest.commands)).toEqual(
      expect.arrayContaining(['config:check', 'demo', 'hooks:add', 'hooks:list', 'agent', 'status']),
    )
    expect(existsSync(REPO_MANIFEST)).toBe(manifestInRepo)
  })
})

describe('the installed ipfo', () => {
  it('--version prints the package version line', async () => {
    const { stdout: nodeVersion } = await promisify(execFile)('node', ['--version'], {
      env: { PATH: process.env.PATH ?? '' },
    })
    const result = await ipfo(['--version'])
    expect(result.code).toBe(0)
    const cpu = arch() === 'ia32' ? 'x86' : arch()
    expect(result.stdout).toBe(
      `@ipfo/cli/${packedVersion('@ipfo/cli')} ${platform()}-${cpu} node-${nodeVersion.trim()}\n`,
    )
  })

  it('config check: accepts a valid config, and refuses an invalid one with exit 3, naming file, line and field', async () => {
    const key = join(work, 'hb.key')
    expect((await ipfo(['keygen', key])).code).toBe(0)
    const config = (extra = '') =>
      `node: b\nkey: ${key}\ninterval: 20ms\ndeadAfter: 60ms\nlinks:\n  - { name: private, targets: [10.0.0.1] }\npeers:\n  - id: a\n    takeover:\n      - { interface: eth0, address: ${ADDRESS}/24 }\n${extra}`
    const good = join(work, 'good.yaml')
    await writeFile(good, config())
    const ok = await ipfo(['config', 'check', '--config', good])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain(`${good} is valid: node b, 1 link(s), 1 peer(s)`)

    const bad = join(work, 'bad.yaml')
    await writeFile(bad, config('port: "1694"\n'))
    const refused = await ipfo(['config', 'check', '--config', bad])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain(`${bad}:11 port: expected a number`)
  })

  it('hooks add email: the wrapper runs the stdlib executable inside the installed CLI; hooks list shows it', async () => {
    const hooks = join(work, 'hooks')
    const at = ['--dir', hooks, '--config', join(work, 'none.yaml')]
    const options = { url: 'smtp://mail.example.com:587', to: 'admin@example.com' }
    const added = await ipfo([
      'hooks',
      'add',
      'email',
      '--address',
      ADDRESS,
      '--phase',
      'PostAcq',
      '--option',
      `url=${options.url}`,
      '--option',
      `to=${options.to}`,
      '--json',
      ...at,
    ])
    expect(added.code, added.stderr).toBe(0)
    const bin = join(cliDir(), 'node_modules/@ipfo/hooks-stdlib/dist/bin/email.js')
    const script = join(hooks, ADDRESS, 'PostAcq-50-email')
    expect(JSON.parse(added.stdout)).toMatchObject({ from: '@ipfo/hooks-stdlib', bin, path: script })
    expect(existsSync(bin)).toBe(true)
    expect(await readFile(script, 'utf8')).toContain(`\nexec node '${bin}' "$@"\n`)
    expect(JSON.parse(await readFile(`${script}.json`, 'utf8'))).toEqual(options)

    const listed = await ipfo(['hooks', 'list', '--json', ...at])
    expect(listed.code, listed.stderr).toBe(0)
    expect(JSON.parse(listed.stdout)).toMatchObject({
      hooksDir: hooks,
      addresses: [
        {
          address: ADDRESS,
          hooks: [{ stage: 'PostAcq', script: 'PostAcq-50-email', hook: 'email', sidecar: true }],
        },
      ],
    })
  })

  it('hooks add log: the wrapper it writes runs the installed hook, which reads its sidecar', async () => {
    const hooks = join(work, 'log-hooks')
    const out = join(work, 'events.jsonl')
    const added = await ipfo([
      'hooks',
      'add',
      'log',
      '--address',
      ADDRESS,
      '--phase',
      'PostAcq',
      '--option',
      'to=file',
      '--option',
      `path=${out}`,
      '--dir',
      hooks,
      '--config',
      join(work, 'none.yaml'),
    ])
    expect(added.code, added.stderr).toBe(0)
    const script = join(hooks, ADDRESS, 'PostAcq-50-log')
    const ran = await promisify(execFile)(script, ['acquire', `${ADDRESS}/24`, 'demo0'], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', IPFO_PHASE: 'PostAcq' },
    })
    expect(ran.stdout).toBe(`log: logged acquire of ${ADDRESS}/24 to ${out}\n`)
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
      phase: 'PostAcq',
      action: 'acquire',
      cidr: `${ADDRESS}/24`,
      interface: 'demo0',
    })
  })

  it('demo --loopback runs its story to the end: a takeover, a failback, never two holders', async () => {
    const result = await ipfo(['demo', '--loopback'], 120_000)
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
    expect(result.stdout).toContain('simulated addresses')
    expect(result.stdout).toMatch(/takeover: \d+ms from the kill to b holding 192\.0\.2\.100\/24/)
    expect(result.stdout).toMatch(/both nodes held \S+ in 0 of [1-9]\d* samples/)
  }, 120_000)
})
