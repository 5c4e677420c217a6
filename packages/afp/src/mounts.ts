import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

/** One mounted file system. */
export interface Mount {
  readonly source: string
  readonly mountPoint: string
  readonly fsType: string
  /** Linux: `major:minor` of the file system (a bind mount shares its origin's). */
  readonly device: string | undefined
  /** True for the file system the machine boots from. */
  readonly startup: boolean
}

/** The mount table port: Linux reads /proc/self/mountinfo, macOS runs `mount`. */
export type MountTable = () => Promise<Mount[]>

const unescapeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)))

/**
 * Parses /proc/self/mountinfo. Anything sharing the root's device (a bind mount of a folder of the
 * startup disk) counts as the startup volume: a key there is not shared.
 */
export function parseMountinfo(text: string): Mount[] {
  const rows = text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ')
      const f = left.split(' ')
      const [fsType = '', source = ''] = right.split(' ')
      return { device: f[2], mountPoint: unescapeOctal(f[4] ?? ''), fsType, source: unescapeOctal(source) }
    })
  const root = rows.filter((r) => r.mountPoint === '/').at(-1)
  return rows.map((r) => ({
    ...r,
    startup: r.mountPoint === '/' || (root !== undefined && r.device === root.device),
  }))
}

/**
 * Parses macOS `mount` output (`/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)`).
 * The startup volume is `/` and, since Catalina, its data volume under /System/Volumes.
 */
export function parseDarwinMount(text: string): Mount[] {
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const m = /^(.+?) on (.+) \(([^,)]+)[^)]*\)\s*$/.exec(line)
    if (!m) continue
    const [, source = '', mountPoint = '', fsType = ''] = m
    mounts.push({
      source,
      mountPoint,
      fsType,
      device: undefined,
      startup: mountPoint === '/' || mountPoint.startsWith('/System/Volumes/'),
    })
  }
  return mounts
}

/** The mount a path lies on: the longest mount point that is a prefix of it (the last one mounted wins). */
export function mountOf(path: string, mounts: readonly Mount[]): Mount | undefined {
  let best: Mount | undefined
  for (const m of mounts) {
    const prefix = m.mountPoint === '/' ? '/' : `${m.mountPoint}/`
    if (path !== m.mountPoint && !path.startsWith(prefix)) continue
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m
  }
  return best
}

/** This machine's mount table. */
export function systemMountTable(platform: NodeJS.Platform = process.platform): MountTable {
  if (platform === 'darwin') {
    return async () => parseDarwinMount((await promisify(execFile)('/sbin/mount', [])).stdout)
  }
  return async () => parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'))
}
