import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ReplaySnapshot } from '../model/ports.js'
import { fileReplayStore, LEGACY_REPLAY_FILE, REPLAY_FILE } from './replay-file.js'

const marks = (seq: number, peers = 1): ReplaySnapshot => ({
  nodes: Object.fromEntries(
    Array.from({ length: peers }, (_, i) => [
      `peer-${i}`,
      { incarnation: 7, links: { private: { incarnation: 7, seq }, public: { incarnation: 7, seq } } },
    ]),
  ),
})

describe('the replay marks file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-replay-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps the last marks saved for the next run, saving in place after the first save', async () => {
    const store = fileReplayStore(dir)
    expect(await store.load()).toBeUndefined()
    await store.save(marks(1))
    const first = await stat(join(dir, REPLAY_FILE))
    expect(first.size).toBe(1024)
    expect(first.mode & 0o777).toBe(0o600)
    for (let seq = 2; seq <= 5; seq++) await store.save(marks(seq))
    // The same file written in place, not a new one renamed over it.
    expect((await stat(join(dir, REPLAY_FILE))).ino).toBe(first.ino)
    await store.close?.()
    expect(await fileReplayStore(dir).load()).toEqual(marks(5))
  })

  it('goes on from the marks of an earlier run, never over the newest slot', async () => {
    const earlier = fileReplayStore(dir)
    await earlier.save(marks(1))
    await earlier.save(marks(2))
    await earlier.close?.()
    const later = fileReplayStore(dir)
    expect(await later.load()).toEqual(marks(2))
    await later.save(marks(3))
    await later.close?.()
    // The save of marks 3 spoiled halfway: the slot it wrote is torn, marks 2 stand.
    const path = join(dir, REPLAY_FILE)
    const file = await readFile(path)
    const text = file.toString('latin1')
    const at = text.indexOf('"seq":3')
    file.fill(0, at, at + 20)
    await writeFile(path, file)
    expect(await fileReplayStore(dir).load()).toEqual(marks(2))
  })

  it('makes the file again when it was removed while open, within a minute of saves', async () => {
    const store = fileReplayStore(dir)
    await store.save(marks(1))
    await rm(join(dir, REPLAY_FILE))
    for (let seq = 2; seq <= 61; seq++) await store.save(marks(seq))
    await store.close?.()
    expect(await fileReplayStore(dir).load()).toEqual(marks(61))
  })

  it('serves saves one after another, the last one kept', async () => {
    const store = fileReplayStore(dir)
    await Promise.all([1, 2, 3, 4].map((seq) => store.save(marks(seq))))
    await store.close?.()
    expect(await fileReplayStore(dir).load()).toEqual(marks(4))
  })

  it('grows its slots when the marks outgrow them', async () => {
    const store = fileReplayStore(dir)
    await store.save(marks(1))
    await store.save(marks(2, 12))
    expect((await stat(join(dir, REPLAY_FILE))).size).toBeGreaterThan(1024)
    await store.save(marks(3, 12))
    await store.close?.()
    expect(await fileReplayStore(dir).load()).toEqual(marks(3, 12))
  })

  it('reads the marks an earlier version left in replay.json, and removes it once it saved its own', async () => {
    await writeFile(join(dir, LEGACY_REPLAY_FILE), JSON.stringify(marks(40)))
    const store = fileReplayStore(dir)
    expect(await store.load()).toEqual(marks(40))
    await store.save(marks(41))
    await store.close?.()
    await expect(stat(join(dir, LEGACY_REPLAY_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await fileReplayStore(dir).load()).toEqual(marks(41))
  })

  it('writes the file whole again when it was unreadable or removed', async () => {
    await writeFile(join(dir, REPLAY_FILE), Buffer.alloc(1024, 'x'))
    const store = fileReplayStore(dir)
    expect(await store.load()).toBeUndefined()
    await store.save(marks(1))
    await store.close?.()
    expect(await fileReplayStore(dir).load()).toEqual(marks(1))

    const again = fileReplayStore(dir)
    expect(await again.load()).toEqual(marks(1))
    await rm(join(dir, REPLAY_FILE))
    await again.save(marks(2))
    await again.close?.()
    expect(await fileReplayStore(dir).load()).toEqual(marks(2))
  })
})
