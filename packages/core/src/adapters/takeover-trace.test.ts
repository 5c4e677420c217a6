import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileTakeoverTrace, type TracedTakeover } from './takeover-trace.js'

describe('fileTakeoverTrace', () => {
  let dir: string
  let file: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-trace-'))
    file = join(dir, 'trace.jsonl')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const lines = async () =>
    (await readFile(file, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TracedTakeover)
  /** The file's lines once there are n, or what there is after 10 s (a busy machine). */
  const until = async (n: number) => {
    const by = Date.now() + 10_000
    while ((await lines()).length < n && Date.now() < by) await new Promise((r) => setTimeout(r, 5))
    return lines()
  }

  it("writes a takeover's steps, timed from the start of the turn that decided, once its frame is handed over", async () => {
    const errors: string[] = []
    const trace = fileTakeoverTrace(file, 'b', (m) => errors.push(m))
    // Marks outside a takeover count for nothing.
    trace.turn()
    trace.mark('add')
    trace.mark('frame')
    const before = Date.now()
    trace.turn()
    trace.mark('decided')
    trace.mark('checklist')
    trace.mark('guard')
    // A later turn (a heartbeat) and a second decision do not move the start; each step keeps its first mark.
    trace.turn()
    trace.mark('decided')
    trace.mark('add')
    trace.mark('add')
    trace.mark('frame')
    // Not written within the turn: not even begun.
    expect(existsSync(file)).toBe(false)
    const [line, ...more] = await until(1)
    expect(more).toEqual([])
    expect(line!.node).toBe('b')
    // The turn's start, on the wall clock (to within the clocks' rounding).
    expect(line!.at).toBeGreaterThanOrEqual(before - 2)
    expect(line!.at).toBeLessThanOrEqual(Date.now() + 2)
    const steps = ['decided', 'checklist', 'guard', 'add', 'frame'] as const
    const times = steps.map((s) => line!.steps[s])
    expect(times.every((t) => typeof t === 'number' && t >= 0)).toBe(true)
    expect([...times].sort((x, y) => x! - y!)).toEqual(times)
    expect(errors).toEqual([])
  })

  it('writes what it has when no frame comes (IPv6), and a later takeover on a line of its own', async () => {
    const trace = fileTakeoverTrace(file, 'c', () => undefined, 20)
    trace.turn()
    trace.mark('decided')
    trace.mark('add')
    const [first] = await until(1)
    expect(Object.keys(first!.steps)).toEqual(['decided', 'add'])
    trace.turn()
    trace.mark('decided')
    trace.mark('frame')
    const both = await until(2)
    expect(both).toHaveLength(2)
    expect(Object.keys(both[1]!.steps)).toEqual(['decided', 'frame'])
  })

  it('says when the file cannot be written', async () => {
    const errors: string[] = []
    const trace = fileTakeoverTrace(join(dir, 'missing', 'trace.jsonl'), 'b', (m) => errors.push(m))
    trace.turn()
    trace.mark('decided')
    trace.mark('frame')
    const by = Date.now() + 10_000
    while (errors.length === 0 && Date.now() < by) await new Promise((r) => setTimeout(r, 5))
    expect(errors[0]).toMatch(/writing the takeover trace to .*missing.*ENOENT/)
  })
})
