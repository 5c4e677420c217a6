import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A real tmpfs mounted for a test (root only): the "shared volume" of an AFP pair. */
export interface TestVolume {
  readonly mountPoint: string
  remount(options: 'ro' | 'rw'): Promise<void>
  unmount(): Promise<void>
}

export async function mountTmpfs(mountPoint: string, size = '1m'): Promise<TestVolume> {
  await mkdir(mountPoint, { recursive: true })
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'ipfo-test', mountPoint])
  let mounted = true
  return {
    mountPoint,
    remount: async (options) => {
      await run('mount', ['-o', `remount,${options}`, mountPoint])
    },
    unmount: async () => {
      if (!mounted) return
      mounted = false
      await run('umount', ['-l', mountPoint])
    },
  }
}

/** A bind mount of a folder (root only): mounted, but on the same disk as its origin. */
export async function bindMount(from: string, mountPoint: string): Promise<TestVolume> {
  await mkdir(mountPoint, { recursive: true })
  await run('mount', ['--bind', from, mountPoint])
  let mounted = true
  return {
    mountPoint,
    remount: async (options) => {
      await run('mount', ['-o', `remount,bind,${options}`, mountPoint])
    },
    unmount: async () => {
      if (!mounted) return
      mounted = false
      await run('umount', ['-l', mountPoint])
    },
  }
}

export const isRoot = process.getuid?.() === 0
