import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PackedPackage, packWorkspaces } from './pack-workspaces.js'
import { type Packument, type ScopedRegistry, scopedRegistry } from './scoped-registry.js'

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

let dir: string
let afp: PackedPackage
let registry: ScopedRegistry
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-registry-test-'))
  ;[afp] = (await packWorkspaces({ root: ROOT, workspaces: ['packages/afp'], dest: dir })) as [PackedPackage]
  registry = await scopedRegistry([afp])
}, 60_000)
afterAll(async () => {
  await registry?.close()
  await rm(dir, { recursive: true, force: true })
})

const get = (path: string) => fetch(`${registry.url}${path}`)

describe('scopedRegistry', () => {
  it('serves a packument whose dist matches the tarball it serves: sha512 integrity and sha1 shasum', async () => {
    const doc = (await (await get('@ipfo%2fafp')).json()) as Packument
    expect(doc['dist-tags'].latest).toBe(afp.version)
    const version = doc.versions[afp.version] as {
      dist: { tarball: string; integrity: string; shasum: string }
    }
    const tarball = Buffer.from(await (await fetch(version.dist.tarball)).arrayBuffer())
    expect(version.dist.integrity).toBe(`sha512-${createHash('sha512').update(tarball).digest('base64')}`)
    expect(version.dist.shasum).toBe(createHash('sha1').update(tarball).digest('hex'))
    // And it is the tarball npm packed: npm's own sha512 of it.
    expect(version.dist.integrity).toBe(afp.integrity)
  })

  it('publishes the package.json inside the tarball (dependencies, engines, exports)', async () => {
    const doc = (await (await get('@ipfo%2fafp')).json()) as Packument
    expect(doc.versions[afp.version]).toMatchObject({
      name: '@ipfo/afp',
      version: afp.version,
      dependencies: afp.manifest.dependencies,
      engines: afp.manifest.engines,
      exports: afp.manifest.exports,
    })
    expect(afp.manifest.dependencies).toHaveProperty('@ipfo/core')
  })

  it('answers /@scope/name as /@scope%2fname, and 404 for what it does not hold', async () => {
    const encoded = await (await get('@ipfo%2fafp')).text()
    expect(await (await get('@ipfo/afp')).text()).toBe(encoded)
    expect((await get('@ipfo%2fnope')).status).toBe(404)
    expect((await get('zod')).status).toBe(404)
    expect((await get('-/nope-0.1.0.tgz')).status).toBe(404)
    // Without the run's own first segment (another run's URL): nothing.
    expect((await fetch(new URL('/@ipfo%2fafp', registry.url))).status).toBe(404)
    expect(registry.requests).toContain('@ipfo/afp')
  })
})
