import type { CommandRunner } from '@ipfo/core'
import { darwinMounts } from './darwin-mounts.js'
import { linuxMounts } from './linux-mounts.js'
import type { MountSystem } from './mount-system.js'

/** macOS gets mount/diskutil/lsof; every other platform the Linux tools (findmnt, fuser). */
export function mountSystem(platform: NodeJS.Platform, runner: CommandRunner): MountSystem {
  return platform === 'darwin' ? darwinMounts(runner) : linuxMounts(runner)
}
