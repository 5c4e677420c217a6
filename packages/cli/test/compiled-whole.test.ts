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
// A load that fails sets the flag back all the same.
const failed = await compiledWhole(() => Promise.reject(new Error('no such module'))).catch((e) => e.message)
const afterFailed = await grew(() => import(${JSON.stringify(join(dir, 'after-failed.mjs'))}))
process.stdout.write(JSON.stringify({ before, inside, after, failed, afterFailed }))
`

/**
 * Under `--stress-flush-code` (V8 drops unused bytecode at every collection): a module compiled by
 * hand loses its code to a few collections; one loaded through compiledWhole keeps it.
 */
const flushProbe = (dir: string) => `
import { getHeapCodeStatistics, setFlagsFromString } from 'node:v8'
import { compiledWhole } from ${JSON.stringify(COMPILED_WHOLE)}
const bytecode = () => getHeapCodeStatistics().bytecode_and_metadata_size
const collect = async () => {
  for (let i = 0; i < 10; i++) {
    globalThis.gc()
    await new Promise((r) => setImmediate(r))
  }
}
const kept = async (load) => {
  const before = bytecode()
  await load()
  const loaded = bytecode() - before
  await collect()
  return { loaded, left: bytecode() - before }
}
const byHand = await kept(async () => {
  setFlagsFromString('--no-lazy')
  await import(${JSON.stringify(join(dir, 'byhand.mjs'))})
  setFlagsFromString('--lazy')
})
const whole = await kept(() => compiledWhole(() => import(${JSON.stringify(join(dir, 'whole.mjs'))})))
process.stdout.write(JSON.stringify({ byHand, whole }))
`

describe('compiledWhole', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-compiled-whole-'))
    for (const name of ['before', 'inside', 'after', 'after-failed', 'byhand', 'whole'])
      await writeFile(join(dir, `${name}.mjs`), uncalled(name.replace('-', '')))
    await writeFile(join(dir, 'probe.mjs'), probe(dir))
    await writeFile(join(dir, 'flush-probe.mjs'), flushProbe(dir))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('compiles the functions of what it loads before they are called, and only that', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'probe.mjs')])
    const grown = JSON.parse(stdout) as {
      before: number
      inside: number
      after: number
      failed: string
      afterFailed: number
    }
    // Compiled, the uncalled function is some 100 KB of bytecode; left to its first call, nothing.
    expect(grown.inside, stdout).toBeGreaterThan(50_000)
    expect(grown.before, stdout).toBeLessThan(grown.inside / 4)
    // The flag is set back: a module loaded later is compiled lazily again.
    expect(grown.after, stdout).toBeLessThan(grown.inside / 4)
    expect(grown.failed).toBe('no such module')
    expect(grown.afterFailed, stdout).toBeLessThan(grown.inside / 4)
  })

  it('keeps the code it compiled: V8 no longer drops it at collections', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--expose-gc',
      '--stress-flush-code',
      join(dir, 'flush-probe.mjs'),
    ])
    const { byHand, whole } = JSON.parse(stdout) as Record<
      'byHand' | 'whole',
      { loaded: number; left: number }
    >
    // The control: compiled whole by hand, then dropped.
    expect(byHand.loaded, stdout).toBeGreaterThan(50_000)
    expect(byHand.left, stdout).toBeLessThan(byHand.loaded / 4)
    expect(whole.loaded, stdout).toBeGreaterThan(50_000)
    expect(whole.left, stdout).toBeGreaterThan(whole.loaded / 2)
  })
})
