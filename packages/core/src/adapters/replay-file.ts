import { constants } from 'node:fs'
import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { ReplaySnapshot, ReplayStore } from '../model/ports.js'
import { replaceFile } from './atomic-write.js'
import { decodeFile, encodeFile, encodeSlot, slotBytesFor, slotIndex } from './replay-slots.js'

/** In-place saves between two checks that the open file is still the one in stateDir. */
const CHECK_EVERY_SAVES = 60

/** The replay marks' file in stateDir (two slots, see replay-slots.ts). */
export const REPLAY_FILE = 'replay.marks'
/** Where earlier versions kept them, one JSON replaced by rename: read if there is no marks file, removed at the first save. */
export const LEGACY_REPLAY_FILE = 'replay.json'

/**
 * The replay guard's marks in `<stateDir>/replay.marks`. A save is one positioned write of a slot
 * to the file, kept open (one operation of the thread pool), instead of a new file renamed over the
 * old (five): the agent saves up to once a second while heartbeats arrive, at every interval. Saves
 * run one after another. The file is written whole (synced, then renamed) only when it is first made,
 * when it was unreadable or removed, or when the marks outgrow its slots (more peers). Saves in place
 * are not synced, as before: a power cut may lose the last seconds of marks, never all of them.
 */
export function fileReplayStore(stateDir: string): ReplayStore {
  const path = join(stateDir, REPLAY_FILE)
  const legacy = join(stateDir, LEGACY_REPLAY_FILE)
  let handle: FileHandle | undefined
  /** The slot size of the file on disk, 0 when there is none this store can write in place. */
  let slotBytes = 0
  /** The generation of the newest slot on disk. */
  let gen = 0
  let legacyLeft = true
  /** Saves in place since the file was last checked to be the one at `path`. */
  let sinceCheck = 0
  let queue: Promise<void> = Promise.resolve()

  const parse = (json: string) => {
    try {
      return JSON.parse(json) as ReplaySnapshot
    } catch {
      return undefined
    }
  }

  async function writeWhole(json: string): Promise<void> {
    await handle?.close().catch(() => undefined)
    handle = undefined
    const size = Math.max(slotBytes, slotBytesFor(Buffer.byteLength(json)))
    await mkdir(stateDir, { recursive: true, mode: 0o700 })
    // Synced, unlike a save in place: rare, and a file lost whole would lose every mark.
    await replaceFile(path, encodeFile({ gen: gen + 1, json }, size), { mode: 0o600, sync: true })
    slotBytes = size
    gen += 1
    sinceCheck = 0
    handle = await open(path, constants.O_RDWR)
  }

  /** Whether the open file is still the one at `path` (not removed or replaced under the agent). */
  async function stillThere(file: FileHandle): Promise<boolean> {
    const [held, named] = await Promise.all([file.stat(), stat(path).catch(() => undefined)])
    return named !== undefined && named.ino === held.ino && named.dev === held.dev
  }

  async function writeSlot(json: string): Promise<void> {
    if (!handle) handle = await open(path, constants.O_RDWR)
    const next = gen + 1
    const slot = encodeSlot({ gen: next, json }, slotBytes)
    try {
      const { bytesWritten } = await handle.write(slot, 0, slot.length, slotIndex(next) * slotBytes)
      if (bytesWritten !== slot.length)
        throw new Error(`wrote ${bytesWritten} of the ${slot.length} bytes of a slot of ${path}`)
    } catch (error) {
      // The next save writes the file whole.
      await handle.close().catch(() => undefined)
      handle = undefined
      slotBytes = 0
      throw error
    }
    gen = next
  }

  async function save(snapshot: ReplaySnapshot): Promise<void> {
    const json = JSON.stringify(snapshot)
    let inPlace = slotBytes > 0 && slotBytesFor(Buffer.byteLength(json)) <= slotBytes
    // Now and then (about once a minute at one save a second), that the file was not removed: saves
    // in place would go on into a file no restart reads.
    if (inPlace && handle && ++sinceCheck >= CHECK_EVERY_SAVES) {
      sinceCheck = 0
      inPlace = await stillThere(handle)
    }
    if (!inPlace) await writeWhole(json)
    else
      await writeSlot(json).catch(async (error: NodeJS.ErrnoException) => {
        // The file went away under the agent: made again.
        if (error.code !== 'ENOENT') throw error
        await writeWhole(json)
      })
    // Only once the marks file is on the disk (its first write is synced).
    if (legacyLeft) {
      legacyLeft = false
      await unlink(legacy).catch(() => undefined)
    }
  }

  return {
    async load() {
      const file = await readFile(path).catch(() => undefined)
      const found = file && decodeFile(file)
      if (found) {
        gen = found.content.gen
        slotBytes = found.slotBytes
        const snapshot = parse(found.content.json)
        if (snapshot) return snapshot
      }
      const old = await readFile(legacy, 'utf8').catch(() => undefined)
      return old === undefined ? undefined : parse(old)
    },
    save(snapshot) {
      const done = queue.then(() => save(snapshot))
      queue = done.catch(() => undefined)
      return done
    },
    close() {
      const closed = queue.then(async () => {
        await handle?.close().catch(() => undefined)
        handle = undefined
      })
      queue = closed
      return closed
    },
  }
}
