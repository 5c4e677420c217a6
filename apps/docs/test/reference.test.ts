import { configJsonSchema } from '@ipfo/core'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { type CliManifest, loadCliManifest } from '../scripts/cli-manifest.js'
import { DESKTOP, useSite, visit } from './browser.js'

const site = useSite()
let loading: Promise<CliManifest> | undefined
const cliManifest = () => {
  loading ??= loadCliManifest()
  return loading
}

/** Each heading of a level on a page, with the text of its section (up to the next heading as high). */
async function sections(page: Page, level: 'h2' | 'h3'): Promise<Map<string, string>> {
  const pairs = await page.locator('.vp-doc').evaluate((doc, tag) => {
    const heads = Array.from(doc.querySelectorAll(tag === 'h2' ? 'h2' : 'h2, h3'))
    return heads.flatMap((head, i): [string, string][] => {
      if (head.tagName.toLowerCase() !== tag) return []
      const range = document.createRange()
      range.setStartAfter(head)
      const next = heads[i + 1]
      if (next) range.setEndBefore(next)
      else range.setEnd(doc, doc.childNodes.length)
      return [[(head.textContent ?? '').replace(/\u200b/g, '').trim(), range.toString()]]
    })
  }, level)
  return new Map(pairs)
}

describe('CLI reference', () => {
  it('has a section for every command the CLI has, and no other', async () => {
    const manifest = await cliManifest()
    const { origin, open } = await site()
    const watched = await open(DESKTOP)
    await visit(watched, `${origin}/reference/cli`)
    const found = await sections(watched.page, 'h2')
    const documented = [...found.keys()].filter((h) => h.startsWith(`${manifest.bin} `))
    const commands = manifest.commands.map((c) => `${manifest.bin} ${c.id}`)
    expect(commands.length).toBeGreaterThan(10)
    expect(documented.sort()).toEqual(commands.sort())
  })

  it("documents every command's flags and arguments, every topic, and no raw help template", async () => {
    const manifest = await cliManifest()
    const { origin, open } = await site()
    const watched = await open(DESKTOP)
    await visit(watched, `${origin}/reference/cli`)
    const found = await sections(watched.page, 'h2')
    const missing: string[] = []
    for (const command of manifest.commands) {
      const text = found.get(`${manifest.bin} ${command.id}`) ?? ''
      for (const flag of Object.keys(command.flags))
        if (!text.includes(`--${flag}`)) missing.push(`${command.id} --${flag}`)
      for (const arg of Object.keys(command.args))
        if (!text.includes(arg.toUpperCase())) missing.push(`${command.id} ${arg}`)
    }
    const topics = found.get('Topics') ?? ''
    for (const topic of manifest.topics)
      if (!topics.includes(`${manifest.bin} ${topic.name}`)) missing.push(topic.name)
    expect(missing).toEqual([])
    const body = (await watched.page.locator('.vp-doc').textContent()) ?? ''
    expect(body).not.toContain('<%')
    expect(body).not.toContain('config.bin')
  })
})

describe('configuration reference', () => {
  it('has a section for every field of the JSON Schema', async () => {
    const { origin, open } = await site()
    const watched = await open(DESKTOP)
    await visit(watched, `${origin}/reference/config`)
    const headings = [
      ...(await sections(watched.page, 'h2')).keys(),
      ...(await sections(watched.page, 'h3')).keys(),
    ]
    const fields = schemaFields(configJsonSchema() as Schema)
    expect(fields).toEqual(
      expect.arrayContaining(['links[].targets', 'peers[].takeover[].address', 'failback.policy']),
    )
    expect(headings).toEqual(expect.arrayContaining(fields))
  })
})

interface Schema {
  properties?: Record<string, Schema>
  items?: Schema
}

/** Field paths read straight from the schema (apart from the generator's own walk). */
function schemaFields(schema: Schema, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name
    const below = child.items?.properties ? schemaFields(child.items, `${path}[]`) : schemaFields(child, path)
    return [path, ...below]
  })
}
