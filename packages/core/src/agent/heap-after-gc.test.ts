import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { heapAfterGc } from './heap-after-gc.js'

let dir: string | undefined
afterEach(async () => {
  vi.unstubAllGlobals()
  if (dir) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

/** V8's own gc function, as `node --expose-gc` would give it, for this test only. */
function realGc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

describe('heapAfterGc (the control socket gc request)', () => {
  it('is refused unless node runs with --expose-gc, as no ipfo service file starts it', () => {
    vi.stubGlobal('gc', undefined)
    expect(() => heapAfterGc()).toThrow('gc is a debugging aid: start the agent with node --expose-gc')
  })

  it('collects, then answers the heap; code and bytecode are a part of it', () => {
    const gc = vi.fn(realGc())
    vi.stubGlobal('gc', gc)
    const heap = heapAfterGc()
    expect(gc).toHaveBeenCalledOnce()
    expect(heap.pid).toBe(process.pid)
    expect(heap.codeBytes).toBeGreaterThan(0)
    expect(heap.codeBytes).toBeLessThan(heap.heapUsedBytes)
    expect(heap.snapshot).toBeUndefined()
  })

  it('writes a heap snapshot only root can read (it holds the heartbeat key)', async () => {
    vi.stubGlobal('gc', realGc())
    dir = await mkdtemp(join(tmpdir(), 'ipfo-heap-'))
    const { snapshot } = heapAfterGc(dir)
    expect(snapshot).toMatch(new RegExp(`^${dir}/ipfo-${process.pid}-\\d+\\.heapsnapshot$`))
    expect((await stat(snapshot!)).mode & 0o777).toBe(0o600)
    const parsed = JSON.parse(await readFile(snapshot!, 'utf8')) as { snapshot: { node_count: number } }
    expect(parsed.snapshot.node_count).toBeGreaterThan(0)
  }, 60_000)
})
