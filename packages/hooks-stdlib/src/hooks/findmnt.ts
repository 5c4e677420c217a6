import { realpath, stat } from 'node:fs/promises'
import type { CommandRunner } from '@ipfo/core'

/**
 * What is mounted at a target (the top of a stack of mounts): from `findmnt -J --mountpoint <target>`
 * on Linux, from `/sbin/mount` on macOS (darwin-mounts.ts), which lists no options.
 */
export interface MountedFs {
  readonly target: string
  readonly source: string
  readonly fstype: string
  readonly options: string
}

/** What the mount hook expects at its target. */
export interface WantedMount {
  readonly type: 'block' | 'nfs' | 'smb' | 'bind' | 'tmpfs'
  readonly source: string
  readonly target: string
}

/** The filesystem mounted exactly at `target`, or undefined (findmnt exits 1 when there is none). */
export async function findMount(runner: CommandRunner, target: string): Promise<MountedFs | undefined> {
  const result = await runner.run('findmnt', ['-J', '--mountpoint', target], { timeoutMs: 10_000 })
  if (result.exitCode !== 0 || result.stdout.trim() === '') return undefined
  const parsed = JSON.parse(result.stdout) as { filesystems?: Partial<MountedFs>[] }
  const top = parsed.filesystems?.at(-1)
  if (top === undefined) return undefined
  return {
    target: top.target ?? target,
    source: top.source ?? '',
    fstype: top.fstype ?? '',
    options: top.options ?? '',
  }
}

/**
 * Whether what is mounted is what the hook mounts. A bind mount shows as `/dev/vda[/srv/data]` in
 * findmnt, so it is compared by device and inode instead: the target's root is the source folder.
 * A block device is compared after resolving symlinks (`/dev/disk/by-uuid/...` is `/dev/sdb1`).
 */
export async function isSameMount(found: MountedFs, wanted: WantedMount): Promise<boolean> {
  const trim = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path)
  switch (wanted.type) {
    case 'bind': {
      const [a, b] = await Promise.all([stat(wanted.source), stat(wanted.target)]).catch(() => [])
      return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino
    }
    case 'block': {
      const real = await realpath(wanted.source).catch(() => wanted.source)
      return found.source === wanted.source || found.source === real
    }
    default:
      return trim(found.source) === trim(wanted.source)
  }
}
