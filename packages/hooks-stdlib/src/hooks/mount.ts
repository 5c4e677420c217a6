import { mkdir } from 'node:fs/promises'
import { z } from 'zod'
import { defineHook, type HookDeps, type HookOutcome } from '../define-hook.js'
import { durationSchema } from '../duration.js'
import { describeFailure } from '../runner.js'
import { mountSystem } from './mount-system.js'
import { unmountVolume } from './unmount.js'

export const mountOptions = z
  .strictObject({
    type: z
      .enum(['block', 'nfs', 'smb', 'bind', 'tmpfs'])
      .describe(
        'block device, NFS export, SMB share (cifs; macOS: smbfs), bind mount of a folder, or tmpfs (bind and tmpfs: Linux only).',
      ),
    source: z
      .string()
      .min(1)
      .describe(
        '/dev/sdb1 (or /dev/disk/by-uuid/...; macOS: /dev/disk4s1 or a volume UUID), host:/export, //server/share (macOS: //user@server/share), a folder, or a tmpfs name.',
      ),
    target: z.string().regex(/^\/./, 'an absolute path other than /').describe('The mount point.'),
    fstype: z
      .string()
      .optional()
      .describe(
        'block: the filesystem type (default: detected; macOS: "apfs" or "hfs", which picks the fsck tool); nfs: "nfs4" to force v4 (Linux).',
      ),
    mountOptions: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe(
        'Passed to mount -o (macOS block: diskutil mount -mountOptions), e.g. "noatime,nodev" or ["ro", "vers=4.2"].',
      ),
    fsck: z
      .boolean()
      .default(false)
      .describe(
        'block: check the device before mounting it: "fsck -p" (macOS: "fsck_apfs -y" or "fsck_hfs -fy", by fstype).',
      ),
    credentialsFile: z
      .string()
      .optional()
      .describe('smb: a mount.cifs credentials file (mode 0600). Linux only: macOS uses the keychain.'),
    mkdir: z.boolean().default(true).describe('Create the mount point when it does not exist.'),
    grace: durationSchema
      .prefault('10s')
      .describe('On unmount, how long to wait for users to leave before stopping them.'),
    killAfter: durationSchema
      .prefault('3s')
      .describe('How long stopped processes get between SIGTERM and SIGKILL.'),
    timeout: durationSchema.prefault('120s').describe('How long one mount, umount or fsck may take.'),
  })
  .superRefine((o, ctx) => {
    const flags = typeof o.mountOptions === 'string' ? o.mountOptions.split(',') : (o.mountOptions ?? [])
    if (flags.some((flag) => /^(password|pass|credentials)=/i.test(flag.trim()))) {
      ctx.addIssue({
        code: 'custom',
        path: ['mountOptions'],
        message:
          'no password or credentials in mountOptions: on Linux put them in a mode 0600 file named by "credentialsFile"; on macOS keep the password in the System keychain',
      })
    }
    if (o.type === 'smb' && /^\/\/(?:[^/@;]*;)?[^/@:]*:[^/@]+@/.test(o.source)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message:
          'no password in source: name only the user (//user@server/share) and keep the password in the System keychain (macOS) or a "credentialsFile" (Linux)',
      })
    }
    if (o.credentialsFile !== undefined && o.type !== 'smb') {
      ctx.addIssue({
        code: 'custom',
        path: ['credentialsFile'],
        message: 'credentialsFile is for type "smb"',
      })
    }
    if (o.fsck && o.type !== 'block') {
      ctx.addIssue({ code: 'custom', path: ['fsck'], message: 'fsck is for type "block"' })
    }
  })

export type MountOptions = z.output<typeof mountOptions>

export { mountCommands } from './linux-mounts.js'

/**
 * Mounts the volume unless it already is (same source at the same target: success; another source:
 * failure, nothing touched). A block device can be checked first (`fsck -p`; macOS: fsck_apfs or
 * fsck_hfs). The platform's mount table confirms it: findmnt on Linux, `/sbin/mount` on macOS.
 */
export async function mountVolume(
  o: MountOptions,
  deps: Pick<HookDeps, 'runner' | 'note'> & {
    /** Which tools to use; process.platform when not given (tests pass 'darwin'). */
    readonly platform?: NodeJS.Platform
  },
): Promise<HookOutcome> {
  const { runner } = deps
  const system = mountSystem(deps.platform ?? process.platform, runner)
  system.validate(o)
  const current = await system.find(o.target)
  if (current !== undefined) {
    if (await system.isSame(current, o))
      return { ok: true, summary: `${o.source} is already mounted on ${o.target}` }
    return {
      ok: false,
      summary: `${o.target} already has ${current.source} (${current.fstype}) mounted, not ${o.source}; left as it is`,
    }
  }
  if (o.mkdir) await mkdir(o.target, { recursive: true, mode: 0o755 })
  if (o.fsck) {
    const refused = await system.fsck(o, deps.note)
    if (refused !== undefined) return refused
  }
  const commands = system.mountCommands(o)
  for (const [command, args] of commands) {
    const result = await runner.run(command, args, { timeoutMs: o.timeout })
    if (result.exitCode !== 0) return { ok: false, summary: describeFailure(command, args, result) }
  }
  const after = await system.find(o.target)
  if (after === undefined || !(await system.isSame(after, o))) {
    const said = commands.at(-1)?.[0] ?? 'mount'
    return {
      ok: false,
      summary: `${said} said yes but ${system.lister} does not show ${o.source} on ${o.target}`,
    }
  }
  return { ok: true, summary: `mounted ${o.source} on ${o.target} (${after.fstype})` }
}

/**
 * The mount hook for a platform: Linux tools (findmnt, fuser) or macOS ones (mount, diskutil, lsof).
 * Without `platform`, process.platform when it runs.
 */
export function createMountHook(opts: { platform?: NodeJS.Platform } = {}) {
  return defineHook({
    name: 'mount',
    description:
      'Mounts a volume when acquiring and unmounts it when releasing, stopping its users if needed.',
    options: mountOptions,
    async run(event, options, deps) {
      if (event.phase === 'Test') return { ok: true, summary: 'the mount hook does nothing as a Test gate' }
      const withPlatform = { ...deps, platform: opts.platform }
      return event.action === 'acquire'
        ? mountVolume(options, withPlatform)
        : unmountVolume(options, withPlatform)
    },
  })
}

/** Mounts when an address is acquired (install it as PreAcq) and unmounts when released (as PostRel). */
export const mountHook = createMountHook()
