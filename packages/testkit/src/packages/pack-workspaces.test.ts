import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PackedPackage, packWorkspaces } from './pack-workspaces.js'

/** A repository of two workspaces: one plain, one whose prepack writes a file its postpack removes (as the CLI's oclif manifest). */
let root: string
let dest: string
let packed: PackedPackage[]
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ipfo-pack-test-'))
  dest = join(root, 'tarballs')
  await mkdir(dest)
  await mkdir(join(root, 'node_modules'))
  const write = (path: string, json: unknown) => writeFile(join(root, path), JSON.stringify(json))
  await write('package.json', { name: 'fake-root', private: true, workspaces: ['plain', 'scripted'] })
  for (const ws of ['plain', 'scripted']) {
    await mkdir(join(root, ws))
    await writeFile(join(root, ws, 'index.js'), 'export {}\n')
  }
  await write('plain/package.json', { name: '@fake/plain', version: '1.2.3', files: ['index.js'] })
  await write('scripted/package.json', {
    name: '@fake/scripted',
    version: '0.1.0',
    files: ['index.js', 'generated.json'],
    scripts: {
      prepack: `node -e "require('fs').writeFileSync('generated.json', JSON.stringify({ at: process.cwd() }))"`,
      postpack: 'rm -f generated.json',
    },
  })
  packed = await packWorkspaces({ root, workspaces: ['scripted', 'plain'], dest })
}, 60_000)
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('packWorkspaces', () => {
  it('packs each workspace into dest, in the order asked, with the package.json inside each tarball', async () => {
    expect(packed.map((p) => [p.name, p.version])).toEqual([
      ['@fake/scripted', '0.1.0'],
      ['@fake/plain', '1.2.3'],
    ])
    expect((await readdir(dest)).sort()).toEqual(['fake-plain-1.2.3.tgz', 'fake-scripted-0.1.0.tgz'])
    expect(packed[1]?.manifest).toEqual({ name: '@fake/plain', version: '1.2.3', files: ['index.js'] })
    expect([...(packed[1]?.files ?? [])].sort()).toEqual(['index.js', 'package.json'])
  })

  it('runs pack scripts in a staged copy: the tarball has what prepack wrote, the workspace never sees it', async () => {
    const scripted = packed[0]
    expect([...(scripted?.files ?? [])].sort()).toEqual(['generated.json', 'index.js', 'package.json'])
    expect(existsSync(join(root, 'scripted', 'generated.json'))).toBe(false)
    const { stdout } = await promisify(execFile)('tar', [
      '-xzOf',
      scripted?.file ?? '',
      'package/generated.json',
    ])
    const at = (JSON.parse(stdout) as { at: string }).at
    expect(at.startsWith(join(root, 'scripted'))).toBe(false)
    // The staged copy is gone too.
    expect(existsSync(at)).toBe(false)
  })
})
