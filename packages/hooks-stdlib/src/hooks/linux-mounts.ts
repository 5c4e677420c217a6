import { readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommandRunner } from '@ipfo/core'
import { describeFailure } from '../runner.js'
import { findMount, isSameMount } from './findmnt.js'
import type { MountOptions } from './mount-options.js'
import type { Command, MountSystem } from './mount-system.js'

/** Linux: findmnt confirms, `mount -t` mounts, fuser (or /proc for a bind mount) finds the users. */
export function linuxMounts(runner: CommandRunner): MountSystem {
  return {
    lister: 'findmnt',
    validate: () => {},
    find: (target) => findMount(runner, target),
    isSame: (found, o) => isSameMount(found, o),
    async fsck(o, note) {
      const check = await runner.run('fsck', ['-p', o.source], { timeoutMs: o.timeout })
      // fsck: 0 clean, 1 errors corrected, 2 corrected but reboot advised; 4 and above: not fixed.
      if (check.exitCode === null || check.exitCode >= 4) {
        return { ok: false, summary: `${describeFailure('fsck', ['-p', o.source], check)}; not mounted` }
      }
      if (check.exitCode !== 0) note(`mount: fsck -p ${o.source} corrected errors (exit ${check.exitCode})`)
      return undefined
    },
    mountCommands,
    unmountCommand: (o) => ['umount', [o.target]],
    signalHolders: (o, signal) => signalHolders(runner, o, signal),
    lastResort: {
      command: (o) => ['umount', ['-l', o.target]],
      warning: (o) =>
        `mount: WARNING: ${o.target} could not be unmounted cleanly and was detached with "umount -l" (lazy): ` +
        'it stays in use, and unwritten data stays unflushed, until its last user lets go',
      summary: (o) => `LAZILY unmounted ${o.target} (umount -l): something still holds it`,
    },
  }
}

/** The Linux mount commands for the options, in order: pure, so tests read the exact argv. */
export function mountCommands(o: MountOptions): Command[] {
  const flags = typeof o.mountOptions === 'string' ? o.mountOptions : (o.mountOptions ?? []).join(',')
  const withFlags = (extra: string[] = []) => {
    const all = [...extra, ...(flags ? [flags] : [])].join(',')
    return all ? ['-o', all] : []
  }
  switch (o.type) {
    case 'bind': {
      const bind: Command = ['mount', ['--bind', o.source, o.target]]
      // Flags such as "ro" only apply to a bind mount through a remount.
      return flags ? [bind, ['mount', ['-o', `remount,bind,${flags}`, o.target]]] : [bind]
    }
    case 'block':
      return [['mount', [...(o.fstype ? ['-t', o.fstype] : []), ...withFlags(), o.source, o.target]]]
    case 'nfs':
      return [['mount', ['-t', o.fstype ?? 'nfs', ...withFlags(), o.source, o.target]]]
    case 'smb': {
      const credentials = o.credentialsFile ? [`credentials=${o.credentialsFile}`] : []
      return [['mount', ['-t', 'cifs', ...withFlags(credentials), o.source, o.target]]]
    }
    case 'tmpfs':
      return [['mount', ['-t', 'tmpfs', ...withFlags(), o.source, o.target]]]
  }
}

/**
 * The processes whose working folder, root, executable or an open file is at or under `path`, read
 * from /proc. Used for bind mounts, where `fuser -m` would match every process on the underlying
 * filesystem (a bind mount has the device of its source).
 */
export async function processesUsing(path: string, procRoot = '/proc'): Promise<number[]> {
  const inside = (link: string | undefined) =>
    link !== undefined && (link === path || link.startsWith(`${path}/`))
  const pids = (await readdir(procRoot)).filter((name) => /^\d+$/.test(name)).map(Number)
  const found: number[] = []
  for (const pid of pids) {
    if (pid === process.pid) continue
    const dir = join(procRoot, String(pid))
    const read = (name: string) => readlink(join(dir, name)).catch(() => undefined)
    const own = await Promise.all([read('cwd'), read('root'), read('exe')])
    let uses = own.some(inside)
    if (!uses) {
      const fds = await readdir(join(dir, 'fd')).catch(() => [])
      for (const fd of fds) if (inside(await read(join('fd', fd)))) uses = true
    }
    if (uses) found.push(pid)
  }
  return found
}

/**
 * Signals the processes holding the mount: for a bind mount, those /proc shows under the target;
 * otherwise `fuser -k -<SIG> -M -m <target>` (-M: only if it is a mount point).
 */
async function signalHolders(
  runner: CommandRunner,
  o: MountOptions,
  signal: 'TERM' | 'KILL',
): Promise<number[]> {
  if (o.type === 'bind') {
    const pids = await processesUsing(o.target)
    if (pids.length > 0) await runner.run('kill', [`-${signal}`, ...pids.map(String)], { timeoutMs: 5000 })
    return pids
  }
  const result = await runner.run('fuser', ['-k', `-${signal}`, '-M', '-m', o.target], {
    timeoutMs: 10_000,
  })
  return (result.stdout.match(/\d+/g) ?? []).map(Number)
}
