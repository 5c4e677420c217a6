/**
 * @ipfo/hooks-stdlib as a user installs it without the CLI: the workspaces it needs packed
 * (`npm pack`), served by a local registry for the @ipfo scope, `npm install -g @ipfo/hooks-stdlib`
 * into a fresh prefix. A hook executable is then run by hand, the way the hook contract describes.
 */
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  filesMentioning,
  type InstalledPackages,
  installPacked,
  linksLeaving,
  runInstalled,
} from '@ipfo/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STDLIB_HOOKS } from '../src/registry.js'
import { invocation } from './hook-invocation.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '')
const WORKSPACES = ['packages/core', 'packages/afp', 'packages/hooks-stdlib']

let installed: InstalledPackages | undefined
let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ipfo-installed-stdlib-'))
  installed = await installPacked({ root: ROOT, workspaces: WORKSPACES, spec: '@ipfo/hooks-stdlib' })
}, 180_000)

afterAll(async () => {
  await installed?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

function got(): InstalledPackages {
  if (installed === undefined) throw new Error('the install in beforeAll failed; see its error')
  return installed
}
const stdlibDir = () => join(got().modules, '@ipfo/hooks-stdlib')

/** Every installed package folder named @ipfo/<name>, at any depth. */
async function ipfoPackages(modules: string): Promise<string[]> {
  const entries = await readdir(modules, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isDirectory() && e.parentPath.endsWith('node_modules/@ipfo'))
    .map((e) => join(e.parentPath, e.name).slice(modules.length + 1))
    .sort()
}

/** A sidecar as `ipfo hooks add` writes it: `<script>.json`, mode 0600. */
async function logSidecar(name: string, out: string): Promise<string> {
  const sidecar = join(work, `${name}.json`)
  await writeFile(sidecar, JSON.stringify({ to: 'file', path: out }), { mode: 0o600 })
  return sidecar
}

describe('npm install -g @ipfo/hooks-stdlib alone (from the packed tarballs)', () => {
  it('installs it with core and afp under it, no CLI, and links every hook executable', async () => {
    const { modules, prefix } = got()
    expect(await ipfoPackages(modules)).toEqual([
      '@ipfo/hooks-stdlib',
      '@ipfo/hooks-stdlib/node_modules/@ipfo/afp',
      '@ipfo/hooks-stdlib/node_modules/@ipfo/core',
    ])
    expect((await readdir(join(prefix, 'bin'))).sort()).toEqual(
      STDLIB_HOOKS.map((h) => `ipfo-hook-${h}`).sort(),
    )
    expect(await linksLeaving(prefix)).toEqual([])
    expect(await filesMentioning(stdlibDir(), ROOT)).toEqual([])
  })

  it('ipfo-hook-log run by hand: reads the sidecar named by IPFO_HOOK_OPTIONS_FILE, writes one JSON line, exits 0', async () => {
    const out = join(work, 'by-hand.jsonl')
    const sidecar = await logSidecar('PostAcq-50-log', out)
    const result = await runInstalled(got().prefix, 'ipfo-hook-log', ['acquire', '192.0.2.100/24', 'demo0'], {
      cwd: work,
      env: { IPFO_PHASE: 'PostAcq', IPFO_HOOK_OPTIONS_FILE: sidecar },
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(`log: logged acquire of 192.0.2.100/24 to ${out}\n`)
    const lines = (await readFile(out, 'utf8')).split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toBe('')
    const record = JSON.parse(lines[0] ?? '')
    expect(record).toMatchObject({
      source: 'ipfo-hook',
      phase: 'PostAcq',
      action: 'acquire',
      cidr: '192.0.2.100/24',
      interface: 'demo0',
      addresses: ['192.0.2.100/24@demo0'],
    })
    expect(Number.isNaN(Date.parse(record.time))).toBe(false)
  })

  it('reads the whole contract as the agent writes it (argv and IPFO_* variables)', async () => {
    const out = join(work, 'from-agent.jsonl')
    const sidecar = await logSidecar('PostAcq-60-log', out)
    const { argv, env } = invocation()
    const result = await runInstalled(got().prefix, 'ipfo-hook-log', argv, {
      cwd: work,
      env: { ...env, IPFO_HOOK_OPTIONS_FILE: sidecar },
    })
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
      phase: 'PostAcq',
      action: 'acquire',
      cidr: '192.168.1.100/24',
      owner: 'a',
      node: 'b',
      peer: 'a',
      reason: 'peer a lost',
      eventTime: '2026-11-25T10:00:00.000Z',
      detectionMs: 3000,
      addresses: ['192.168.1.100/24@eth0', 'fd00::100/64@eth0'],
    })
  })

  it('exits 2 with the reason when the sidecar can be changed by others', async () => {
    const sidecar = await logSidecar('PostAcq-70-log', join(work, 'never.jsonl'))
    await chmod(sidecar, 0o666)
    const result = await runInstalled(got().prefix, 'ipfo-hook-log', ['acquire', '192.0.2.100/24', 'demo0'], {
      cwd: work,
      env: { IPFO_PHASE: 'PostAcq', IPFO_HOOK_OPTIONS_FILE: sidecar },
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      `log: the options file ${sidecar} can be changed by other users (mode 666)`,
    )
  })
})
