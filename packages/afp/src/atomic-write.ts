import { dirname } from 'node:path'
import { type NewFileOptions, replaceFile, writeNewFile } from '@ipfo/core'
import { AfpError, describeFsError } from './errors.js'
import type { AfpFs, FileStat } from './fs-port.js'

export interface AtomicWriteOptions {
  /** Keep a timestamped copy of the file being replaced, next to it. */
  readonly backup: boolean
  /** Owner and mode for a file that does not exist yet (an existing file keeps its own). */
  readonly create?: { readonly mode: number; readonly uid?: number; readonly gid?: number }
  readonly now?: () => Date
}

export interface AtomicWriteResult {
  readonly path: string
  /** The backup of the replaced file, when one was kept. */
  readonly backup: string | undefined
  /** Set when the directory could not be fsynced after the rename: the file is written, but a power loss right now could undo it. */
  readonly warning: string | undefined
}

/**
 * Replaces a file so that, whatever fails, it holds either all of its old bytes or all of its new
 * ones: core's replaceFile (a temporary file in the same directory, written, given the old owner and
 * mode, fsynced, renamed over the original), then the directory fsynced. A backup of the original is
 * kept first. When a step before the rename fails, the temporary file and the backup are removed and
 * the original is untouched.
 */
export async function writeFileAtomic(
  fs: AfpFs,
  path: string,
  data: Uint8Array,
  options: AtomicWriteOptions,
): Promise<AtomicWriteResult> {
  const dir = dirname(path)
  const original = await statIfExists(fs, path)
  if (original && !original.isFile) {
    throw new AfpError(`${path} is not a regular file`, {
      file: path,
      hint: 'point the command at the file itself',
    })
  }
  const owner = original ?? {
    mode: options.create?.mode ?? 0o644,
    uid: options.create?.uid ?? process.getuid?.() ?? 0,
    gid: options.create?.gid ?? process.getgid?.() ?? 0,
  }
  let backup: string | undefined
  try {
    if (original && options.backup) {
      const bytes = await fs.readFile(path)
      backup = await writeBackup(fs, path, bytes, original, options.now?.() ?? new Date())
    }
    await replaceFile(path, data, asIs(fs, owner))
  } catch (error) {
    if (backup) await fs.unlink(backup).catch(() => undefined)
    throw asWriteError(error, path)
  }
  const warning = await fs.syncDirectory(dir).then(
    () => undefined,
    (error: unknown) =>
      `${path} is written, but ${dir} could not be fsynced (${describeFsError(error).what}): run sync before a reboot`,
  )
  return { path, backup, warning }
}

/** `<file>.ipfo-backup-<UTC timestamp>`, with `-2`, `-3`... when one already has that name. */
async function writeBackup(fs: AfpFs, path: string, bytes: Uint8Array, owner: FileStat, at: Date) {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  for (let n = 1; ; n++) {
    const candidate = `${path}.ipfo-backup-${stamp}${n === 1 ? '' : `-${n}`}`
    try {
      await writeNewFile(candidate, bytes, asIs(fs, owner))
      return candidate
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw error
    }
  }
}

/** The original's owner and mode (set exactly, whatever the umask), fsynced before it is closed. */
function asIs(fs: AfpFs, owner: Pick<FileStat, 'mode' | 'uid' | 'gid'>): NewFileOptions {
  return { fs, mode: owner.mode & 0o777, owner, chmod: owner.mode, sync: true }
}

async function statIfExists(fs: AfpFs, path: string): Promise<FileStat | undefined> {
  try {
    return await fs.stat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw asWriteError(error, path)
  }
}

function asWriteError(error: unknown, path: string): AfpError {
  if (error instanceof AfpError) return error
  const { what, hint } = describeFsError(error)
  return new AfpError(`cannot write ${path}: ${what}; the file is unchanged`, {
    file: path,
    hint,
    cause: error,
  })
}
