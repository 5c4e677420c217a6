import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/**
 * The "writing a hook package" page shows a real package: examples/ipfo-hook-route, built, tested and
 * (in the CLI's namespace tests) installed and run by an agent. The page's code must be that package's.
 */
const page = readFileSync(new URL('../hooks/writing.md', import.meta.url), 'utf8')
const example = (path: string) =>
  readFileSync(new URL(`../../../examples/ipfo-hook-route/${path}`, import.meta.url), 'utf8')

/** The page's fenced code blocks, with their language. */
const blocks = [...page.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({ lang, body: body! }))

describe('the hook package example on hooks/writing', () => {
  it.each(['src/hook.ts', 'src/bin.ts', 'src/hook.test.ts'])(
    'shows %s as it is in the repository',
    (file) => {
      const source = example(file)
      expect(blocks.some((b) => b.lang === 'ts' && b.body === source)).toBe(true)
    },
  )

  it("shows the package.json's fields as they are in the repository", () => {
    const shown = blocks.find((b) => b.lang === 'json' && b.body.includes('"ipfoHook"'))
    expect(shown).toBeDefined()
    const real = JSON.parse(example('package.json')) as Record<string, unknown>
    const fields = JSON.parse(shown!.body) as Record<string, unknown>
    for (const [field, value] of Object.entries(fields))
      expect({ [field]: real[field] }).toEqual({ [field]: value })
  })
})
