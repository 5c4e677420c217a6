import { constants } from 'node:fs'
import { open, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises'

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

/** A file opened for writing that did not exist before. */
export interface NewFile {
  write(data: Uint8Array): Promise<void>
  chown(uid: number, gid: number): Promise<void>
  chmod(mode: number): Promise<void>
  /** fsync: the bytes are on the disk when it resolves. */
  sync(): Promise<void>
  close(): Promise<void>
}

/**
 * The file system port. Every write @ipfo/afp does goes through it, so tests can make any single
 * step fail (a full disk, a read-only volume) and check that nothing was lost.
 */
export interface AfpFs {
  readFile(path: string): Promise<Uint8Array>
  /** Follows symbolic links. */
  stat(path: string): Promise<FileStat>
  readdir(path: string): Promise<string[]>
  realpath(path: string): Promise<string>
  /** O_CREAT | O_EXCL: fails with EEXIST rather than overwrite. */
  createNew(path: string, mode: number): Promise<NewFile>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
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
  async createNew(path, mode) {
    const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode)
    return {
      write: async (data) => {
        await handle.writeFile(data)
      },
      chown: (uid, gid) => handle.chown(uid, gid),
      chmod: (m) => handle.chmod(m),
      sync: () => handle.sync(),
      close: () => handle.close(),
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncDirectory(path) {
    const handle = await open(path, constants.O_RDONLY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
}
