import { mkdir } from 'node:fs/promises'
import { defineHook, type HookDeps, type HookOutcome } from '../define-hook.js'
import { describeFailure } from '../runner.js'
import { type MountOptions, mountOptions } from './mount-options.js'
import { mountSystem } from './platform-mounts.js'
import { unmountVolume } from './unmount.js'

export { mountCommands } from './linux-mounts.js'
export { type MountOptions, mountOptions } from './mount-options.js'

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
