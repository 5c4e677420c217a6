import { z } from 'zod'
import { durationSchema } from '../duration.js'

/** The mount hook's sidecar options; its own module, so the platform files need not import the hook. */
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
