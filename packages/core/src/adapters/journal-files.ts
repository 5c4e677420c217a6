import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Journal, JournalEntry, ReplaySnapshot, ReplayStore } from '../model/ports.js'

/**
 * The checklist journal as files in `<stateDir>/checklists/`, one per running checklist, each
 * written to a temporary file, fsynced and renamed, so a power cut leaves either the old entry or
 * the new one.
 */
export function fileJournal(stateDir: string): Journal {
  const dir = join(stateDir, 'checklists')
  const path = (key: string) => join(dir, `${key}.json`)
  return {
    async write(entry) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const temp = `${path(entry.key)}.tmp`
      const handle = await open(temp, 'w', 0o600)
      try {
        await handle.writeFile(JSON.stringify(entry))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temp, path(entry.key))
    },
    async remove(key) {
      await unlink(path(key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error
      })
    },
    async leftovers() {
      const names = await readdir(dir).catch(() => [] as string[])
      const entries: JournalEntry[] = []
      for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
        try {
          entries.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as JournalEntry)
        } catch {
          await unlink(join(dir, name)).catch(() => undefined)
        }
      }
      return entries
    },
  }
}

/** The replay guard's marks in `<stateDir>/replay.json`, replaced by rename. */
export function fileReplayStore(stateDir: string): ReplayStore {
  const path = join(stateDir, 'replay.json')
  return {
    async load() {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as ReplaySnapshot
      } catch {
        return undefined
      }
    },
    async save(snapshot) {
      await mkdir(stateDir, { recursive: true, mode: 0o700 })
      const temp = `${path}.tmp`
      const handle = await open(temp, 'w', 0o600)
      try {
        await handle.writeFile(JSON.stringify(snapshot))
      } finally {
        await handle.close()
      }
      await rename(temp, path)
    },
  }
}
