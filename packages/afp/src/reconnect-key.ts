import { isDeepStrictEqual } from 'node:util'
import { afpSettingsOf } from './afp-settings.js'
import { writeFileAtomic } from './atomic-write.js'
import { AfpError, describeFsError } from './errors.js'
import type { AfpFs } from './fs-port.js'
import { volumeOfPath } from './key-volume.js'
import type { MountTable } from './mounts.js'
import { AFP_PLIST_PATH } from './paths.js'
import { readPlistFile, withTopLevelString } from './plist/plist-file.js'

export interface SetReconnectKeyRequest {
  /** Where the key goes: a file path on a volume both nodes mount. */
  readonly target: string
  readonly plist?: string
  /** Move the key from its current location to `target` (mode 0600, owned by root). */
  readonly moveExisting?: boolean
  readonly now?: () => Date
}

export interface SetReconnectKeyResult {
  readonly plist: string
  readonly format: 'xml' | 'binary'
  readonly previous: string
  readonly location: string
  /** False when the plist already pointed at `target`. */
  readonly changed: boolean
  /** The key file moved from `previous` to `location`. */
  readonly moved: boolean
  /** The plist's backup, when it was rewritten. */
  readonly backup: string | undefined
  readonly notes: string[]
}

/**
 * `ipfo afp reconnect-key set`: points `reconnectKeyLocation` at shared storage, optionally moving
 * the key there first. Order for no loss: copy the key (atomically), rewrite the plist (atomically,
 * with a backup), and only then remove the old key. A failure at any step undoes the earlier ones.
 */
export async function setReconnectKey(
  deps: { fs: AfpFs; mounts: MountTable },
  request: SetReconnectKeyRequest,
): Promise<SetReconnectKeyResult> {
  const { fs } = deps
  const plist = request.plist ?? AFP_PLIST_PATH
  const target = request.target
  if (!target.startsWith('/')) {
    throw new AfpError(`the key location "${target}" is not an absolute path`, {
      path: 'reconnectKeyLocation',
      hint: 'give the full path of the key file on the shared volume, e.g. /Volumes/Shared/AFP/AFP.conf',
    })
  }
  if (
    await fs.stat(target).then(
      (s) => s.isDirectory,
      () => false,
    )
  ) {
    throw new AfpError(`${target} is a folder; the key location is a file`, {
      path: 'reconnectKeyLocation',
      hint: `name the file, e.g. ${target.replace(/\/$/, '')}/AFP.conf`,
    })
  }
  const document = await readPlistFile(fs, plist)
  const settings = afpSettingsOf(document)
  const previous = settings.reconnectKeyLocation
  const volume = await volumeOfPath(fs, deps.mounts, target)
  if (!volume.directoryExists) {
    throw new AfpError(
      `the folder ${volume.directory} does not exist${volume.missingMount ? `: nothing is mounted at ${volume.missingMount}` : ''}`,
      {
        path: 'reconnectKeyLocation',
        hint: `mount the shared volume (and create the folder) first; ${plist} is unchanged`,
      },
    )
  }
  if (!volume.shared) {
    throw new AfpError(
      `${target} is on the startup volume (${volume.mount?.mountPoint ?? '/'}): the other node could not read the key there`,
      {
        path: 'reconnectKeyLocation',
        hint: `choose a path on a volume both nodes mount, e.g. /Volumes/<shared>/AFP.conf; ${plist} is unchanged`,
      },
    )
  }
  const notes: string[] = []
  let copied = false
  let moved = false
  if (request.moveExisting && previous !== target) {
    const key = await fs.readFile(previous).catch((error: NodeJS.ErrnoException) => error)
    if (key instanceof Error) {
      if (key.code !== 'ENOENT') {
        throw new AfpError(`cannot read the key ${previous}: ${describeFsError(key).what}`, {
          file: previous,
          hint: `${describeFsError(key).hint}; ${plist} is unchanged`,
        })
      }
      notes.push(`no key at ${previous} to move: the AFP server will write one at ${target}`)
    } else {
      const existing = await fs.readFile(target).catch(() => undefined)
      if (existing && !isDeepStrictEqual(existing, key)) {
        throw new AfpError(`a different key is already at ${target} (the other node's?)`, {
          file: target,
          hint: `run without --move-existing to use the key that is there, or remove ${target} first; nothing was changed`,
        })
      }
      if (!existing) {
        const written = await writeFileAtomic(fs, target, key, {
          backup: false,
          create: { mode: 0o600, uid: 0, gid: 0 },
        })
        if (written.warning) notes.push(written.warning)
        copied = true
      } else notes.push(`${target} already holds the same key`)
      moved = true
    }
  }
  if (previous === target) {
    return {
      plist,
      format: document.format,
      previous,
      location: target,
      changed: false,
      moved: false,
      backup: undefined,
      notes,
    }
  }
  let backup: string | undefined
  try {
    const bytes = withTopLevelString(document, 'reconnectKeyLocation', target)
    const written = await writeFileAtomic(fs, plist, bytes, {
      backup: true,
      ...(request.now ? { now: request.now } : {}),
    })
    backup = written.backup
    if (written.warning) notes.push(written.warning)
  } catch (error) {
    if (copied) await fs.unlink(target).catch(() => undefined)
    throw error
  }
  if (moved) {
    await fs.unlink(previous).catch((error: unknown) => {
      notes.push(
        `the key is now at ${target}, but ${previous} could not be removed (${describeFsError(error).what}): remove it by hand`,
      )
    })
  }
  return { plist, format: document.format, previous, location: target, changed: true, moved, backup, notes }
}
