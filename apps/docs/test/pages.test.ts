import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ARTIFACTS, DESKTOP, PHONE, useSite, visit } from './browser.js'
import { sitePages } from './built-site.js'

const pages = sitePages()
const site = useSite()

describe('every page of the built site', () => {
  it('has the home page and both reference pages', () => {
    expect(pages).toContain('/')
    expect(pages).toEqual(
      expect.arrayContaining(['/reference/config', '/reference/cli', '/reference/metrics']),
    )
  })

  it('loads with no console error, no uncaught exception and no failed or outside request', async () => {
    const { origin, window: newWindow } = await site()
    const report: string[] = []
    // One window, so pages share the HTTP cache; two tabs at once, as part of each page's time is
    // spent waiting. Each page gets a fresh tab, closed once checked, so that leaving it (which
    // aborts the link prefetches VitePress starts when idle) is not blamed on the next page.
    const desktop = await newWindow(DESKTOP)
    const tabs = 2
    await Promise.all(
      Array.from({ length: tabs }, async (_, tab) => {
        for (const path of pages.filter((_, i) => i % tabs === tab)) {
          const watched = await desktop.open()
          await visit(watched, `${origin}${path}`)
          await watched.page.locator('.VPContent').waitFor({ state: 'visible' })
          report.push(...watched.problems.map((problem) => `${path}: ${problem}`))
          await watched.page.close()
        }
      }),
    )
    expect(report).toEqual([])
  }, 90_000)
})

describe('the checks themselves', () => {
  it('catch a request off the site, and it fails at once (no network is used)', async () => {
    const { origin, open } = await site()
    const watched = await open(DESKTOP)
    await visit(watched, `${origin}/`)
    const error = await watched.page.evaluate(() =>
      fetch('https://cdn.example.com/lib.js').then(
        () => 'answered',
        (e: Error) => e.name,
      ),
    )
    expect(error).toBe('TypeError')
    expect(watched.problems).toContain('request outside the site: https://cdn.example.com/lib.js')
  })
})

describe('screenshots (saved under apps/docs/test-artifacts/)', () => {
  // The first guide page there is: the guide's pages are written by hand and may be renamed.
  const guide = pages.find((p) => p.startsWith('/guide/')) ?? '/guide/'
  const shots = [
    { name: 'home', path: '/' },
    { name: 'guide', path: guide },
  ]
  for (const [size, viewport] of Object.entries({ desktop: DESKTOP, phone: PHONE })) {
    it.each(shots)(
      `$name at ${size} width`,
      async ({ name, path }) => {
        const { origin, open } = await site()
        const watched = await open(viewport)
        await visit(watched, `${origin}${path}`)
        await watched.page.screenshot({ path: join(ARTIFACTS, `${name}-${size}.png`), fullPage: true })
        expect(watched.problems).toEqual([])
      },
      60_000,
    )
  }
})
