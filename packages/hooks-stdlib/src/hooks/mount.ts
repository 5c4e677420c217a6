import { mkdir } from 'node:fs/promises'
import { z } from 'zod'
import { defineHook, type HookDeps, type HookOutcome } from '../define-hook.js'
import { durationSchema } from '../duration.js'
import { describeFailure } from '../runner.js'
import { findMount, isSameMount } from './findmnt.js'
import { unmountVolume } from './unmount.js'

export const mountOptions = z
  .strictObject({
    type: z
      .enum(['block', 'nfs', 'smb', 'bind', 'tmpfs'])
      .describe('block device, NFS export, SMB share (cifs), bind mount of a folder, or tmpfs.'),
    source: z
      .string()
      .min(1)
      .describe(
        '/dev/sdb1 (or /dev/disk/by-uuid/...), host:/export, //server/share, a folder, or a tmpfs name.',
      ),
    target: z.string().regex(/^\/./, 'an absolute path other than /').describe('The mount point.'),
    fstype: z
      .string()
      .optional()
      .describe('block: the filesystem type (default: detected); nfs: "nfs4" to force v4.'),
    mountOptions: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('Passed to mount -o, e.g. "noatime,nodev" or ["ro", "vers=4.2"].'),
    fsck: z.boolean().default(false).describe('block: run "fsck -p" on the device before mounting it.'),
    credentialsFile: z.string().optional().describe('smb: a mount.cifs credentials file (mode 0600).'),
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
          'no password or credentials in mountOptions: put them in a mode 0600 file named by "credentialsFile"',
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

/** The mount commands for the options, in order: pure, so tests read the exact argv. */
export function mountCommands(o: MountOptions): [string, string[]][] {
  const flags = typeof o.mountOptions === 'string' ? o.mountOptions : (o.mountOptions ?? []).join(',')
  const withFlags = (extra: string[] = []) => {
    const all = [...extra, ...(flags ? [flags] : [])].join(',')
    return all ? ['-o', all] : []
  }
  switch (o.type) {
    case 'bind': {
      const bind: [string, string[]] = ['mount', ['--bind', o.source, o.target]]
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
 * Mounts the volume unless it already is (same source at the same target: success; another source:
 * failure, nothing touched). A block device can be checked with `fsck -p` first. findmnt confirms it.
 */
export async function mountVolume(
  o: MountOptions,
  deps: Pick<HookDeps, 'runner' | 'note'>,
): Promise<HookOutcome> {
  const { runner } = deps
  const current = await findMount(runner, o.target)
  if (current !== undefined) {
    if (await isSameMount(current, o))
      return { ok: true, summary: `${o.source} is already mounted on ${o.target}` }
    return {
      ok: false,
      summary: `${o.target} already has ${current.source} (${current.fstype}) mounted, not ${o.source}; left as it is`,
    }
  }
  if (o.mkdir) await mkdir(o.target, { recursive: true, mode: 0o755 })
  if (o.fsck) {
    const check = await runner.run('fsck', ['-p', o.source], { timeoutMs: o.timeout })
    // fsck: 0 clean, 1 errors corrected, 2 corrected but reboot advised; 4 and above: not fixed.
    if (check.exitCode === null || check.exitCode >= 4) {
      return { ok: false, summary: `${describeFailure('fsck', ['-p', o.source], check)}; not mounted` }
    }
    if (check.exitCode !== 0)
      deps.note(`mount: fsck -p ${o.source} corrected errors (exit ${check.exitCode})`)
  }
  for (const [command, args] of mountCommands(o)) {
    const result = await runner.run(command, args, { timeoutMs: o.timeout })
    if (result.exitCode !== 0) return { ok: false, summary: describeFailure(command, args, result) }
  }
  const after = await findMount(runner, o.target)
  if (after === undefined || !(await isSameMount(after, o))) {
    return { ok: false, summary: `mount said yes but findmnt does not show ${o.source} on ${o.target}` }
  }
  return { ok: true, summary: `mounted ${o.source} on ${o.target} (${after.fstype})` }
}

/** Mounts when an address is acquired (install it as PreAcq) and unmounts when released (as PostRel). */
export const mountHook = defineHook({
  name: 'mount',
  description: 'Mounts a volume when acquiring and unmounts it when releasing, stopping its users if needed.',
  options: mountOptions,
  async run(event, options, deps) {
    if (event.phase === 'Test') return { ok: true, summary: 'the mount hook does nothing as a Test gate' }
    return event.action === 'acquire' ? mountVolume(options, deps) : unmountVolume(options, deps)
  },
})
