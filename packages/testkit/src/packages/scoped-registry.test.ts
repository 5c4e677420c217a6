import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PackedPackage, packWorkspaces } from './pack-workspaces.js'
import { type Packument, type ScopedRegistry, scopedRegistry } from './scoped-registry.js'

/** A workspace of a fake repository, packed by npm: the test never reads the real ones, which builds may be rewriting. */
const FIXTURE = {
  name: '@ipfo/fixture',
  version: '0.3.1',
  dependencies: { '@ipfo/core': '^0.1.0', zod: '4.6.7' },
  engines: { node: '>=20.19' },
  exports: { '.': './index.js' },
  files: ['index.js'],
}

let dir: string
let fixture: PackedPackage
let registry: ScopedRegistry
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-registry-test-'))
  await mkdir(join(dir, 'fixture'))
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'root', private: true, workspaces: ['fixture'] }),
  )
  await writeFile(join(dir, 'fixture', 'package.json'), JSON.stringify(FIXTURE))
  await writeFile(join(dir, 'fixture', 'index.js'), 'export const answer = 42\n')
  ;[fixture] = (await packWorkspaces({ root: dir, workspaces: ['fixture'], dest: dir })) as [PackedPackage]
  registry = await scopedRegistry([fixture])
}, 60_000)
afterAll(async () => {
  await registry?.close()
  await rm(dir, { recursive: true, force: true })
})

const get = (path: string) => fetch(`${registry.url}${path}`)

describe('scopedRegistry', () => {
  it('serves a packument whose dist matches the tarball it serves: sha512 integrity and sha1 shasum', async () => {
    const doc = (await (await get('@ipfo%2ffixture')).json()) as Packument
    expect(doc['dist-tags'].latest).toBe(fixture.version)
    const version = doc.versions[fixture.version] as {
      dist: { tarball: string; integrity: string; shasum: string }
    }
    const tarball = Buffer.from(await (await fetch(version.dist.tarball)).arrayBuffer())
    expect(version.dist.integrity).toBe(`sha512-${createHash('sha512').update(tarball).digest('base64')}`)
    expect(version.dist.shasum).toBe(createHash('sha1').update(tarball).digest('hex'))
    // And it is the tarball npm packed: npm's own sha512 of it.
    expect(version.dist.integrity).toBe(fixture.integrity)
  })

  it('publishes the package.json inside the tarball: dependencies, engines, exports', async () => {
    const doc = (await (await get('@ipfo%2ffixture')).json()) as Packument
    expect(doc.versions[fixture.version]).toMatchObject({
      ...FIXTURE,
      _id: '@ipfo/fixture@0.3.1',
    })
  })

  it('answers /@scope/name as /@scope%2fname, and 404 for what it does not hold', async () => {
    const encoded = await (await get('@ipfo%2ffixture')).text()
    expect(await (await get('@ipfo/fixture')).text()).toBe(encoded)
    expect((await get('@ipfo%2fnope')).status).toBe(404)
    expect((await get('zod')).status).toBe(404)
    expect((await get('-/nope-0.1.0.tgz')).status).toBe(404)
    // Without the run's own first segment (another run's URL): nothing.
    expect((await fetch(new URL('/@ipfo%2ffixture', registry.url))).status).toBe(404)
    expect(registry.requests).toContain('@ipfo/fixture')
  })
})
