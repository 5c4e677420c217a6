import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename } from 'node:path'
import type { PackedPackage } from './pack-workspaces.js'

/** A package document as the npm registry serves it (`GET /<name>`), with one version. */
export interface Packument {
  readonly name: string
  readonly 'dist-tags': { readonly latest: string }
  readonly versions: Record<string, Record<string, unknown>>
}

/**
 * The packument of a packed package: its package.json plus `dist` (where the tarball is and its
 * sha512 integrity and sha1 shasum, which npm checks the download against).
 */
export function packument(pkg: PackedPackage, tarball: Buffer, tarballUrl: string): Packument {
  return {
    name: pkg.name,
    'dist-tags': { latest: pkg.version },
    versions: {
      [pkg.version]: {
        ...pkg.manifest,
        _id: `${pkg.name}@${pkg.version}`,
        dist: {
          tarball: tarballUrl,
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
        },
      },
    },
  }
}

export interface ScopedRegistry {
  /** `http://127.0.0.1:<port>/<nonce>/`: give it to npm as `--@scope:registry=<url>`. */
  readonly url: string
  /** The paths asked for, in order (after the nonce), e.g. `@ipfo%2fcli`, `-/cli-0.1.0.tgz`. */
  readonly requests: readonly string[]
  close(): Promise<void>
}

/**
 * A registry for one scope's packed packages on 127.0.0.1 (a free port), so npm installs them as it
 * would from npmjs.com, and never fetches them from there (the scope is not published). It answers
 * `GET /@scope%2fname` and `/@scope/name` with the packument and `GET /-/<file>.tgz` with the
 * tarball; anything else is 404. The URL has a random first segment: npm caches packuments by URL,
 * and a later run on the same port must not be served this run's.
 */
export async function scopedRegistry(packages: readonly PackedPackage[]): Promise<ScopedRegistry> {
  const nonce = randomBytes(6).toString('hex')
  const tarballs = new Map<string, Buffer>()
  for (const pkg of packages) tarballs.set(basename(pkg.file), await readFile(pkg.file))
  const requests: string[] = []
  let url = ''
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    const prefix = `/${nonce}/`
    const rest = path.startsWith(prefix) ? path.slice(prefix.length) : undefined
    if (rest !== undefined) requests.push(rest)
    const found = rest === undefined || req.method !== 'GET' ? undefined : answer(rest)
    if (found === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    res.writeHead(200, { 'content-type': found.type, 'content-length': found.body.length }).end(found.body)
  })
  const answer = (rest: string): { type: string; body: Buffer } | undefined => {
    if (rest.startsWith('-/')) {
      const body = tarballs.get(rest.slice(2))
      return body && { type: 'application/octet-stream', body }
    }
    const name = decodeURIComponent(rest)
    const pkg = packages.find((p) => p.name === name)
    if (pkg === undefined) return undefined
    const file = basename(pkg.file)
    const doc = packument(pkg, tarballs.get(file) as Buffer, `${url}-/${file}`)
    return { type: 'application/json', body: Buffer.from(JSON.stringify(doc)) }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${nonce}/`
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
