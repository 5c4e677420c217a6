import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll } from 'vitest'
import { DIST, DOCS } from './built-site.js'
import { type StaticServer, serveStatic } from './static-server.js'

/** Debian's chromium; playwright-core never downloads a browser here. */
export const CHROMIUM = process.env.IPFO_DOCS_CHROMIUM ?? '/usr/bin/chromium'
/** Flags that work as root in a container, with no network chatter of Chromium's own. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Offline: no host name resolves, so a request off the site fails (and is reported) at once.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
]

export const DESKTOP = { width: 1280, height: 800 } as const
export const PHONE = { width: 390, height: 844 } as const
export const ARTIFACTS = join(DOCS, 'test-artifacts')

export interface WatchedPage {
  readonly page: Page
  /** Console errors, uncaught exceptions, failed or refused requests, HTTP errors, so far. */
  readonly problems: string[]
}

export interface BrowserWindow {
  /** A new tab whose problems are recorded. */
  open(): Promise<WatchedPage>
}

export interface Site {
  readonly origin: string
  /** A browser window of this size; its tabs share one HTTP cache, as a reader's do. */
  window(viewport: { width: number; height: number }): Promise<BrowserWindow>
  /** A tab in a new window of this size. */
  open(viewport: { width: number; height: number }): Promise<WatchedPage>
  close(): Promise<void>
}

/**
 * The site for one test file: opened by the first test that asks, closed after the last. If it cannot
 * open (no Chromium), every test that asks fails with the reason; none is skipped.
 */
export function useSite(): () => Promise<Site> {
  let opening: Promise<Site> | undefined
  afterAll(async () => {
    await opening?.then(
      (site) => site.close(),
      () => undefined,
    )
  })
  return () => {
    opening ??= openSite()
    return opening
  }
}

/** Serves the built site on 127.0.0.1 and starts Chromium. Throws, naming the fix, without Chromium. */
export async function openSite(): Promise<Site> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the docs browser tests drive Debian's chromium. ` +
        'Install it with `apt-get install chromium` (CI installs it from .ci/apt-packages.txt).',
    )
  }
  await mkdir(ARTIFACTS, { recursive: true })
  const server = await serveStatic(DIST)
  let browser: Browser
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS })
  } catch (error) {
    await server.close()
    throw error
  }
  const contexts: BrowserContext[] = []
  const window = async (viewport: { width: number; height: number }): Promise<BrowserWindow> => {
    const phone = viewport.width < 768
    const context = await browser.newContext({ viewport, isMobile: phone, hasTouch: phone })
    contexts.push(context)
    // Under the tests' timeouts (60 s for the screenshots), so a stuck step fails with its own
    // message; long enough for a full-page screenshot of a long page on a loaded 2-core machine.
    context.setDefaultTimeout(25_000)
    return {
      async open() {
        const page = await context.newPage()
        return { page, problems: watch(page, server) }
      },
    }
  }
  return {
    origin: server.origin,
    window,
    open: async (viewport) => (await window(viewport)).open(),
    async close() {
      for (const context of contexts) await context.close()
      await browser.close()
      await server.close()
    },
  }
}

function watch(page: Page, server: StaticServer): string[] {
  const problems: string[] = []
  // The site must work offline: every request stays on the local server. (Not page.route: routing
  // turns the HTTP cache off, and every page would parse the theme's code afresh.)
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.protocol.startsWith('http') && url.origin !== server.origin) {
      problems.push(`request outside the site: ${url.href}`)
    }
  })
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    // Chromium asks for /favicon.ico by itself (no page does); the site has no icon yet.
    if (new URL(message.location().url || page.url()).pathname === '/favicon.ico') return
    problems.push(`console error on ${page.url()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`uncaught on ${page.url()}: ${error.message}`))
  page.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`)
  })
  return problems
}

/**
 * Loads a page and waits until VitePress has hydrated it and its fonts are in. Not for the network
 * to go quiet: once idle, VitePress prefetches the pages linked from this one, which every test
 * that visits those pages loads anyway, and waiting for that doubles the time per page.
 */
export async function visit({ page }: WatchedPage, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'load' })
  await page.waitForFunction(
    () =>
      Boolean((document.querySelector('#app') as { __vue_app__?: unknown } | null)?.__vue_app__) &&
      document.fonts.status === 'loaded',
  )
}
