import { existsSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { replaceFile } from '@ipfo/core'
import { ConfigError } from '@ipfo/core/errors'
import { AGENT_NODE_FLAGS, IPFO_BIN } from './agent-command.js'
import { launchdPlist, systemdUnit } from './units.js'

export interface InstalledService {
  readonly path: string
  readonly kind: 'systemd' | 'launchd'
  /** What the administrator runs next (this command starts nothing by itself). */
  readonly next: string[]
}

const where = (platform: NodeJS.Platform, dir?: string) =>
  platform === 'darwin'
    ? { kind: 'launchd' as const, path: join(dir ?? '/Library/LaunchDaemons', 'dev.ipfo.agent.plist') }
    : { kind: 'systemd' as const, path: join(dir ?? '/etc/systemd/system', 'ipfo.service') }

/** Writes the unit or plist atomically, pointing at this node binary and this ipfo with absolute paths. */
export async function installService(opts: {
  platform: NodeJS.Platform
  config: string
  dir?: string
  force?: boolean
}): Promise<InstalledService> {
  const { kind, path } = where(opts.platform, opts.dir)
  if (existsSync(path) && !opts.force) {
    throw new ConfigError(`${path} already exists`, { hint: 'pass --force to replace it' })
  }
  const spec = {
    command: [process.execPath, ...AGENT_NODE_FLAGS, IPFO_BIN],
    config: resolve(opts.config),
    stopTimeoutSec: 120,
  }
  const text = kind === 'systemd' ? systemdUnit(spec) : launchdPlist(spec)
  await replaceFile(path, text, { mode: 0o644 })
  const next =
    kind === 'systemd'
      ? ['systemctl daemon-reload', 'systemctl enable --now ipfo', 'journalctl -u ipfo -f']
      : [`launchctl bootstrap system ${path}`, 'tail -f /var/log/ipfo.log']
  return { path, kind, next }
}

export async function uninstallService(opts: { platform: NodeJS.Platform; dir?: string }) {
  const { kind, path } = where(opts.platform, opts.dir)
  const existed = existsSync(path)
  if (existed) await unlink(path)
  const next = !existed
    ? []
    : kind === 'systemd'
      ? ['systemctl disable --now ipfo (before removing, if it runs)', 'systemctl daemon-reload']
      : ['launchctl bootout system/dev.ipfo.agent']
  return { removed: existed ? path : null, next }
}
