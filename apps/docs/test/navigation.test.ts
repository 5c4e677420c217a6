import { describe, expect, it } from 'vitest'
import { DESKTOP, PHONE, useSite, visit } from './browser.js'

const site = useSite()

describe('navigation', () => {
  it('at 1280x800: a sidebar link opens its page', async () => {
    const { origin, open } = await site()
    const watched = await open(DESKTOP)
    const { page } = watched
    await visit(watched, `${origin}/`)
    const link = page.locator('.VPSidebar a[href="/reference/cli"]')
    await link.click()
    await page.waitForURL(`${origin}/reference/cli`)
    await expect.poll(() => page.locator('.vp-doc h1').textContent()).toContain('CLI reference')
    expect(watched.problems).toEqual([])
  })

  it('at 390x844: the hamburger menu opens and its links work', async () => {
    const { origin, open } = await site()
    const watched = await open(PHONE)
    const { page } = watched
    await visit(watched, `${origin}/`)
    // At this width the nav bar's own links are hidden: the hamburger is the way to them.
    expect(await page.locator('.VPNavBarMenu').isVisible()).toBe(false)
    await page.locator('button.VPNavBarHamburger').click()
    const menu = page.locator('#VPNavScreen')
    await menu.waitFor({ state: 'visible' })
    await menu.locator('a[href="/reference/config"]').click()
    await page.waitForURL(`${origin}/reference/config`)
    await expect.poll(() => page.locator('.vp-doc h1').textContent()).toContain('Configuration reference')
    await menu.waitFor({ state: 'hidden' })
    expect(watched.problems).toEqual([])
  })
})

describe('local search', () => {
  it('finds PreAcq, with a result on a hooks page, without any outside request', async () => {
    const { origin, open } = await site()
    const watched = await open(DESKTOP)
    const { page } = watched
    await visit(watched, `${origin}/`)
    await page.locator('.VPNavBarSearch .DocSearch-Button').click()
    const input = page.locator('#localsearch-input')
    await input.fill('PreAcq')
    const hit = page.locator('.VPLocalSearchBox a.result[href^="/hooks/"]').first()
    await hit.waitFor({ state: 'visible' })
    await hit.click()
    await page.waitForURL(/\/hooks\//)
    expect(watched.problems).toEqual([])
  })
})
