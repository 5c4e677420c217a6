import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** A file opened for writing that did not exist before. */
export interface NewFile {
  write(data: Uint8Array | string): Promise<void>
  chown(uid: number, gid: number): Promise<void>
  chmod(mode: number): Promise<void>
  /** fsync: the bytes are on the disk when it resolves. */
  sync(): Promise<void>
  close(): Promise<void>
}

/** What an atomic write touches; a port so tests can fail any single step. */
export interface WriteFs {
  /** O_CREAT | O_EXCL: fails with EEXIST rather than overwrite. */
  createNew(path: string, mode: number): Promise<NewFile>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
}

export const nodeWriteFs: WriteFs = {
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
}

export interface NewFileOptions {
  /** Permission bits the file is created with; the umask applies, as with open(2). Default 0o666. */
  readonly mode?: number
  /** Set with chown, before `chmod` (a chown can clear set-id bits a chmod then sets). */
  readonly owner?: { readonly uid: number; readonly gid: number }
  /** Set with chmod, whatever the umask: for a file that must have exactly these bits. */
  readonly chmod?: number
  /** fsync before closing, so the bytes are on the disk before a rename makes them the file. */
  readonly sync?: boolean
  readonly fs?: WriteFs
}

/**
 * Creates `path`, which must not exist, and writes all of `data`, then owner, mode and fsync as
 * asked. When a step after the creation fails, the file is removed again and the error thrown
 * as it came: the caller never has to clean up half a file.
 */
export async function writeNewFile(
  path: string,
  data: Uint8Array | string,
  options: NewFileOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeWriteFs
  const file = await fs.createNew(path, options.mode ?? 0o666)
  try {
    await file.write(data)
    if (options.owner) await file.chown(options.owner.uid, options.owner.gid)
    if (options.chmod !== undefined) await file.chmod(options.chmod)
    if (options.sync) await file.sync()
  } catch (error) {
    await file.close().catch(() => undefined)
    await fs.unlink(path).catch(() => undefined)
    throw error
  }
  try {
    await file.close()
  } catch (error) {
    await fs.unlink(path).catch(() => undefined)
    throw error
  }
}

/** A whole new version of a file, written beside it, that replaces the file only when committed. */
export interface StagedFile {
  /** The temporary file: a dotfile in the same folder, so the rename stays on one file system. */
  readonly temp: string
  /** Renames it over the file. On failure the temporary file is removed and the file is untouched. */
  commit(): Promise<void>
  /** Removes the temporary file; the file is untouched. */
  discard(): Promise<void>
}

/**
 * Writes the new contents of `path` to a temporary file next to it, to be renamed over `path` by
 * `commit`: for callers that must do something between the write and the replacement (and can
 * still back out), or a backup first. The name starts with a dot so that a folder scanned for
 * scripts or `*.json` never picks it up half written.
 */
export async function stageFile(
  path: string,
  data: Uint8Array | string,
  options: NewFileOptions = {},
): Promise<StagedFile> {
  const fs = options.fs ?? nodeWriteFs
  const temp = join(
    dirname(path),
    `.${basename(path)}.ipfo-tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  )
  await writeNewFile(temp, data, options)
  const discard = () => fs.unlink(temp).catch(() => undefined)
  return {
    temp,
    async commit() {
      try {
        await fs.rename(temp, path)
      } catch (error) {
        await discard()
        throw error
      }
    },
    discard,
  }
}

/**
 * Replaces `path` so that a crash or a failed write leaves either all of its old bytes or all of
 * its new ones (with `sync`, a power loss too, once the caller has fsynced the folder): a
 * temporary file beside it, renamed over it. Errors are thrown as they came, with no temporary
 * file left behind.
 */
export async function replaceFile(
  path: string,
  data: Uint8Array | string,
  options: NewFileOptions = {},
): Promise<void> {
  await (await stageFile(path, data, options)).commit()
}
