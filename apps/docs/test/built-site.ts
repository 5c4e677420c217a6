import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export const DOCS = fileURLToPath(new URL('..', import.meta.url))
export const DIST = join(DOCS, '.vitepress', 'dist')
const GENERATED = ['reference/config.md', 'reference/cli.md', 'reference/metrics.md'].map((p) =>
  join(DOCS, p),
)

/** Folders of the docs package that are not site sources (tests, outputs, caches). */
const NOT_SOURCES = new Set(['node_modules', 'test', 'test-artifacts', '.vitest', '.turbo', 'dist', 'cache'])

/**
 * Builds the site (generators, then `vitepress build`) unless `.vitepress/dist` is newer than every
 * source: the pages, the theme config, the generators, and the built @ipfo/core and @ipfo/cli they
 * read. turbo builds before it tests; this keeps `npx vitest run` on its own honest too.
 */
export function ensureBuiltSite(): void {
  const stale = whyStale()
  if (stale === undefined) return
  console.log(`docs site: ${stale}; building it (npm run build)`)
  // vitest sets NODE_ENV=test, which would give a development build of Vue.
  const env = { ...process.env, NODE_ENV: 'production' }
  const build = spawnSync('npm', ['run', 'build'], { cwd: DOCS, env, stdio: 'inherit' })
  if (build.status !== 0) throw new Error(`npm run build in apps/docs failed (exit ${build.status})`)
}

function whyStale(): string | undefined {
  const stamp = join(DIST, 'index.html')
  if (!existsSync(stamp)) return 'not built yet'
  const missing = GENERATED.find((p) => !existsSync(p))
  if (missing) return `${relative(DOCS, missing)} is missing`
  const builtAt = statSync(stamp).mtimeMs
  const require = createRequire(import.meta.url)
  const packages = ['@ipfo/core', '@ipfo/cli'].map((name) => dirname(require.resolve(`${name}/package.json`)))
  const sources = [
    ...files(DOCS, isSiteSource),
    ...packages.flatMap((root) => [join(root, 'package.json'), ...files(join(root, 'dist'))]),
  ]
  const newer = sources.find((path) => statSync(path).mtimeMs > builtAt)
  return newer ? `${relative(DOCS, newer)} changed since the last build` : undefined
}

/** Not the generated pages (the build writes them) nor the tests and their config. */
function isSiteSource(path: string): boolean {
  return !GENERATED.includes(path) && !path.endsWith('.test.ts') && !path.endsWith('vitest.config.ts')
}

function files(dir: string, keep: (path: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return NOT_SOURCES.has(entry.name) ? [] : files(path, keep)
    return entry.isFile() && keep(path) ? [path] : []
  })
}

/** Every page of the built site as the clean URL a reader visits: `/`, `/guide/afp`. */
export function sitePages(): string[] {
  return files(DIST)
    .filter((path) => path.endsWith('.html') && relative(DIST, path) !== '404.html')
    .map((path) => {
      const page = relative(DIST, path)
        .split(sep)
        .join('/')
        .replace(/\.html$/, '')
      if (page === 'index') return '/'
      return page.endsWith('/index') ? `/${page.slice(0, -'index'.length)}` : `/${page}`
    })
    .sort()
}
