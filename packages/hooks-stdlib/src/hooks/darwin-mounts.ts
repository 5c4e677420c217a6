import { realpath } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { parseDarwinMount, parsePlist } from '@ipfo/afp'
import type { CommandRunner } from '@ipfo/core'
import { HookInputError } from '../errors.js'
import { describeFailure } from '../runner.js'
import type { MountedFs } from './findmnt.js'
import type { MountOptions } from './mount-options.js'
import type { Command, MountSystem } from './mount-system.js'

/** The mount table on macOS: `mount` with no arguments lists it (there is no findmnt or /proc). */
const LISTER = '/sbin/mount'

/**
 * macOS: `/sbin/mount` confirms, diskutil mounts and unmounts block devices (through Disk Arbitration,
 * which also settles with Spotlight and fseventsd), `mount -t nfs|smbfs` and `umount` the shares,
 * `lsof +f` finds the users. No bind mounts, no tmpfs, no lazy unmount.
 */
export function darwinMounts(runner: CommandRunner): MountSystem {
  return {
    lister: LISTER,
    validate: checkDarwinOptions,
    find: (target) => findDarwinMount(runner, target),
    async isSame(found, o) {
      switch (o.type) {
        case 'block':
          return found.source === (await deviceNode(runner, o.source))
        case 'smb':
          return smbShare(found.source) === smbShare(o.source)
        default:
          return trimSlash(found.source) === trimSlash(o.source)
      }
    },
    async fsck(o) {
      const device = await deviceNode(runner, o.source)
      if (device === undefined) {
        return {
          ok: false,
          summary: `diskutil info finds no device for ${o.source}; not checked, not mounted`,
        }
      }
      const [command, args]: Command =
        o.fstype === 'hfs' ? ['fsck_hfs', ['-fy', device]] : ['fsck_apfs', ['-y', device]]
      const check = await runner.run(command, args, { timeoutMs: o.timeout })
      // Unlike Linux fsck, no exit code of these is documented as "corrected": anything but 0 fails.
      if (check.exitCode !== 0) {
        return { ok: false, summary: `${describeFailure(command, args, check)}; not mounted` }
      }
      return undefined
    },
    mountCommands: darwinMountCommands,
    unmountCommand: (o) =>
      o.type === 'block' ? ['diskutil', ['unmount', o.target]] : ['umount', [o.target]],
    signalHolders: (o, signal) => signalHolders(runner, o.target, signal),
    lastResort: {
      command: forceUnmountCommand,
      warning: (o) =>
        `mount: WARNING: ${o.target} could not be unmounted cleanly and was force-unmounted with ` +
        `"${forceUnmountCommand(o).flat().join(' ')}" (macOS has no lazy unmount): files still open there ` +
        'were cut off, their next reads and writes fail, and what they had not written is lost',
      summary: (o) =>
        `FORCIBLY unmounted ${o.target} (${forceUnmountCommand(o).flat().join(' ')}): something still held it`,
    },
  }
}

/** Refuses, before anything is touched, what macOS cannot do; each message names the option and the fix. */
export function checkDarwinOptions(o: MountOptions): void {
  const refuse = (message: string, hint: string) => {
    throw new HookInputError(`on macOS, ${message}`, { hint })
  }
  if (o.type === 'bind') {
    refuse(
      'type "bind" cannot be used: macOS has no bind mounts',
      'mount the volume itself on "target" (type "block", "nfs" or "smb"), or point the service at the folder',
    )
  }
  if (o.type === 'tmpfs') {
    refuse('type "tmpfs" cannot be used: tmpfs is not a macOS filesystem', 'use type "block", "nfs" or "smb"')
  }
  if (o.credentialsFile !== undefined) {
    refuse(
      '"credentialsFile" cannot be used: it is a Linux mount.cifs file, which mount_smbfs does not read',
      'remove "credentialsFile", keep the password in the System keychain, and name the user in "source": //user@server/share',
    )
  }
  if (o.type === 'nfs' && o.fstype !== undefined && o.fstype !== 'nfs') {
    refuse(
      `fstype "${o.fstype}" cannot be used: macOS mounts every NFS version as type "nfs"`,
      'remove "fstype" and choose the version in "mountOptions", e.g. "vers=4"',
    )
  }
  if (o.type === 'block' && o.fstype !== undefined && o.fstype !== 'apfs' && o.fstype !== 'hfs') {
    refuse(
      `fstype "${o.fstype}" cannot be used: diskutil detects the filesystem, and "fstype" only picks the fsck tool`,
      'remove "fstype", or set it to "apfs" (fsck_apfs) or "hfs" (fsck_hfs)',
    )
  }
  if (o.fsck && o.fstype === undefined) {
    refuse(
      '"fsck" needs "fstype" to pick the tool: "apfs" runs fsck_apfs -y, "hfs" runs fsck_hfs -fy',
      'add "fstype": "apfs" (or "hfs"), or set "fsck" to false',
    )
  }
}

/** The macOS mount commands: diskutil for a block device, mount -t nfs|smbfs for shares. Pure. */
export function darwinMountCommands(o: MountOptions): Command[] {
  checkDarwinOptions(o)
  const flags = typeof o.mountOptions === 'string' ? o.mountOptions : (o.mountOptions ?? []).join(',')
  switch (o.type) {
    case 'block':
      return [
        [
          'diskutil',
          ['mount', ...(flags ? ['-mountOptions', flags] : []), '-mountPoint', o.target, o.source],
        ],
      ]
    case 'nfs':
      return [['mount', ['-t', 'nfs', ...(flags ? ['-o', flags] : []), o.source, o.target]]]
    default:
      return [['mount', ['-t', 'smbfs', ...(flags ? ['-o', flags] : []), o.source, o.target]]]
  }
}

/**
 * What `/sbin/mount` shows mounted exactly at `target`, or at it through its folder's real path (/tmp
 * is /private/tmp). Only the folder is resolved: the mount point itself may be a dead NFS server's.
 */
export async function findDarwinMount(runner: CommandRunner, target: string): Promise<MountedFs | undefined> {
  const result = await runner.run(LISTER, [], { timeoutMs: 10_000 })
  if (result.exitCode !== 0) {
    throw new Error(`${describeFailure(LISTER, [], result)}: cannot tell what is mounted on ${target}`)
  }
  const folder = dirname(target)
  const real = join(await realpath(folder).catch(() => folder), basename(target))
  const paths = new Set([trimSlash(target), trimSlash(real)])
  const top = parseDarwinMount(result.stdout)
    .filter((m) => paths.has(m.mountPoint))
    .at(-1)
  if (top === undefined) return undefined
  return { target: top.mountPoint, source: top.source, fstype: top.fsType, options: '' }
}

/**
 * The device node of a block source as `mount` shows it: /dev/disk4s1 and disk4s1 as they are (a raw
 * /dev/rdisk4s1 as /dev/disk4s1), anything else (a volume UUID) through `diskutil info -plist`.
 */
export async function deviceNode(runner: CommandRunner, source: string): Promise<string | undefined> {
  if (source.startsWith('/dev/')) return source.replace(/^\/dev\/rdisk/, '/dev/disk')
  if (/^disk\d+(s\d+)*$/.test(source)) return `/dev/${source}`
  const info = await runner.run('diskutil', ['info', '-plist', source], { timeoutMs: 10_000 })
  if (info.exitCode !== 0) return undefined
  try {
    const node = parsePlist(new TextEncoder().encode(info.stdout), 'diskutil info -plist').value.DeviceNode
    return typeof node === 'string' && node.startsWith('/dev/') ? node : undefined
  } catch {
    return undefined
  }
}

/**
 * Signals the processes with a file open on the volume: `lsof -t +f -- <target>` (-t: pids only;
 * +f: the name is a filesystem, so every file on it counts; exits 1 when there are none), then `kill`.
 * launchd (pid 1) and this hook itself are never signalled.
 */
async function signalHolders(
  runner: CommandRunner,
  target: string,
  signal: 'TERM' | 'KILL',
): Promise<number[]> {
  const found = await runner.run('lsof', ['-t', '+f', '--', target], { timeoutMs: 10_000 })
  const pids = [...new Set((found.stdout.match(/^\d+$/gm) ?? []).map(Number))].filter(
    (pid) => pid > 1 && pid !== process.pid,
  )
  if (pids.length > 0) await runner.run('kill', [`-${signal}`, ...pids.map(String)], { timeoutMs: 5000 })
  return pids
}

function forceUnmountCommand(o: MountOptions): Command {
  return o.type === 'block' ? ['diskutil', ['unmount', 'force', o.target]] : ['umount', ['-f', o.target]]
}

/** `//[domain;][user[:password]@]server/share` as `server/share`, decoded and lower-cased (SMB names ignore case). */
function smbShare(source: string): string {
  const share = source.replace(/^\/\//, '').replace(/^[^/@]*@/, '')
  let decoded = share
  try {
    decoded = decodeURIComponent(share)
  } catch {}
  return trimSlash(decoded).toLowerCase()
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}
