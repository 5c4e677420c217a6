import { mkdir, readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Journal, JournalEntry } from '../model/ports.js'
import { replaceFile } from './atomic-write.js'

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
      await replaceFile(path(entry.key), JSON.stringify(entry), { mode: 0o600, sync: true })
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
