import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { sidebar } from './.vitepress/config.js'

const root = fileURLToPath(new URL('.', import.meta.url))

describe('docs sidebar', () => {
  const links = sidebar.flatMap((group) => group.items.map((item) => item.link))
  it.each(links)('%s has a page', (link) => {
    const file = link === '/' ? 'index.md' : `${link.slice(1)}.md`
    expect(existsSync(`${root}/${file}`)).toBe(true)
  })
})
