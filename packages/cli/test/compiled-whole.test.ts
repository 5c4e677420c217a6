import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const COMPILED_WHOLE = fileURLToPath(new URL('../dist/runtime/compiled-whole.js', import.meta.url))

/** A module whose one function is never called: some 2 000 statements V8 compiles only when asked. */
const uncalled = (name: string) =>
  `export function ${name}(x) {\n  let y = x\n${Array.from(
    { length: 2000 },
    (_, i) => `  if (y.k${i} !== ${i}) y = { ...y, k${i}: y.k${i} + ${i} }\n`,
  ).join('')}  return y\n}\n`

/**
 * What V8 holds of bytecode after importing a module before, inside and after compiledWhole, in a
 * process of its own (the flags it sets are the process's).
 */
const probe = (dir: string) => `
import { getHeapCodeStatistics } from 'node:v8'
import { compiledWhole } from ${JSON.stringify(COMPILED_WHOLE)}
const bytecode = () => getHeapCodeStatistics().bytecode_and_metadata_size
const grew = async (load) => { const before = bytecode(); await load(); return bytecode() - before }
const before = await grew(() => import(${JSON.stringify(join(dir, 'before.mjs'))}))
const inside = await grew(() => compiledWhole(() => import(${JSON.stringify(join(dir, 'inside.mjs'))})))
const after = await grew(() => import(${JSON.stringify(join(dir, 'after.mjs'))}))
process.stdout.write(JSON.stringify({ before, inside, after }))
`

describe('compiledWhole', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-compiled-whole-'))
    for (const name of ['before', 'inside', 'after'])
      await writeFile(join(dir, `${name}.mjs`), uncalled(name))
    await writeFile(join(dir, 'probe.mjs'), probe(dir))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('compiles the functions of what it loads before they are called, and only that', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'probe.mjs')])
    const grown = JSON.parse(stdout) as { before: number; inside: number; after: number }
    // Compiled, the uncalled function is some 100 KB of bytecode; left to its first call, nothing.
    expect(grown.inside, stdout).toBeGreaterThan(50_000)
    expect(grown.before, stdout).toBeLessThan(grown.inside / 4)
    // The flag is set back: a module loaded later is compiled lazily again.
    expect(grown.after, stdout).toBeLessThan(grown.inside / 4)
  })
})
