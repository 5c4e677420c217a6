import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
}

export interface StaticServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly origin: string
  close(): Promise<void>
}

/**
 * Serves a built VitePress site the way a host with clean URLs does: `/guide/afp` is
 * `guide/afp.html`, `/dir/` is `dir/index.html`, anything else missing is `404.html` with status 404.
 */
export async function serveStatic(root: string): Promise<StaticServer> {
  const ASSETS = join(root, 'assets') + sep
  const server = createServer(async (req, res) => {
    const file = await resolveFile(root, new URL(req.url ?? '/', 'http://x').pathname)
    const target = file ?? join(root, '404.html')
    res.writeHead(file ? 200 : 404, {
      'content-type': TYPES[extname(target)] ?? 'application/octet-stream',
      // As a host serves VitePress: hashed assets forever, pages revalidated.
      'cache-control': file?.startsWith(ASSETS) ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    if (req.method === 'HEAD') res.end()
    else createReadStream(target).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  }
}

async function resolveFile(root: string, pathname: string): Promise<string | undefined> {
  let path: string
  try {
    path = normalize(join(root, decodeURIComponent(pathname)))
  } catch {
    return undefined
  }
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined
  const candidates = pathname.endsWith('/') ? [join(path, 'index.html')] : [path, `${path}.html`]
  for (const candidate of candidates) {
    if (await isFile(candidate)) return candidate
  }
  return undefined
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
