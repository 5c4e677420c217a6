import { constants } from 'node:fs'
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises'
import { nodeWriteFs, type WriteFs } from '@ipfo/core'

/** A file opened for writing that did not exist before: core's, which does the atomic writes. */
export type { NewFile } from '@ipfo/core'

/** What @ipfo/afp needs to know of a file. */
export interface FileStat {
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly dev: number
  readonly size: number
  readonly isFile: boolean
  readonly isDirectory: boolean
}

/**
 * The file system port. Every write @ipfo/afp does goes through it, so tests can make any single
 * step fail (a full disk, a read-only volume) and check that nothing was lost. The writing half
 * (createNew, rename, unlink) is core's WriteFs, the port of core's atomic write.
 */
export interface AfpFs extends WriteFs {
  readFile(path: string): Promise<Uint8Array>
  /** Follows symbolic links. */
  stat(path: string): Promise<FileStat>
  readdir(path: string): Promise<string[]>
  realpath(path: string): Promise<string>
  /** fsync of a directory, so a rename in it survives a power loss. */
  syncDirectory(path: string): Promise<void>
}

/** The real file system. */
export const nodeFs: AfpFs = {
  readFile: async (path) => new Uint8Array(await readFile(path)),
  async stat(path) {
    const s = await stat(path)
    return {
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
      dev: s.dev,
      size: s.size,
      isFile: s.isFile(),
      isDirectory: s.isDirectory(),
    }
  },
  readdir: (path) => readdir(path),
  realpath: (path) => realpath(path),
  ...nodeWriteFs,
  async syncDirectory(path) {
    const handle = await open(path, constants.O_RDONLY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
}
