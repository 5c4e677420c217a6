import { dirname } from 'node:path'
import type { AfpFs } from './fs-port.js'
import { type Mount, type MountTable, mountOf } from './mounts.js'

/** Where a path sits: its folder, whether that exists, and the volume it is on. */
export interface PathVolume {
  readonly path: string
  readonly directory: string
  readonly directoryExists: boolean
  /** The path's volume, found from its nearest existing folder with symbolic links resolved. */
  readonly mount: Mount | undefined
  /** A mount root the path names (/Volumes/X, /mnt/X, /media/X, /srv/X) that nothing is mounted on. */
  readonly missingMount: string | undefined
  /** On a mounted volume other than the startup volume. */
  readonly shared: boolean
}

const MOUNT_ROOTS = /^\/(Volumes|mnt|media|srv)\/[^/]+/

export async function volumeOfPath(fs: AfpFs, mounts: MountTable, path: string): Promise<PathVolume> {
  const directory = dirname(path)
  let probe = directory
  let real: string | undefined
  while (real === undefined) {
    real = await fs.realpath(probe).catch(() => undefined)
    if (real === undefined) {
      if (probe === '/') real = '/'
      else probe = dirname(probe)
    }
  }
  const directoryExists =
    probe === directory &&
    (await fs.stat(directory).then(
      (s) => s.isDirectory,
      () => false,
    ))
  const table = await mounts()
  const mount = mountOf(real, table)
  const root = MOUNT_ROOTS.exec(directory)?.[0]
  const missingMount =
    root && !table.some((m) => m.mountPoint === root) && mount?.startup !== false ? root : undefined
  return {
    path,
    directory,
    directoryExists,
    mount,
    missingMount,
    shared: mount !== undefined && !mount.startup,
  }
}
