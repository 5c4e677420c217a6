import { type AfpSettings, readAfpSettings } from './afp-settings.js'
import { type CheckResult, fail, pass, warn } from './check-result.js'
import { AfpError } from './errors.js'
import type { AfpFs } from './fs-port.js'
import { volumeOfPath } from './key-volume.js'
import type { MountTable } from './mounts.js'
import { AFP_PLIST_PATH } from './paths.js'

export interface AfpCheckDeps {
  readonly fs: AfpFs
  readonly mounts: MountTable
}

export interface AfpCheckReport {
  readonly plist: string
  readonly format: 'xml' | 'binary' | undefined
  readonly reconnectKeyLocation: string | undefined
  readonly ok: boolean
  readonly results: CheckResult[]
}

const MOUNT_HOOK =
  'mount it before AFP needs it, in PreAcq (before the address is taken over): `ipfo hooks add mount --address <ip> --phase PreAcq --option type=block --option source=<device> --option target=<dir>` (on macOS, source=disk5s2 and target=/Volumes/<name>)'
const KEY_RISK = 'anyone who can read the reconnect key can take over AFP sessions'

/**
 * `ipfo afp check`: can open AFP sessions survive a failover on this node? Each item gets a verdict;
 * a plist that cannot be read is one failed item, not an exception.
 */
export async function checkAfp(deps: AfpCheckDeps, plist: string = AFP_PLIST_PATH): Promise<AfpCheckReport> {
  let settings: AfpSettings
  try {
    settings = await readAfpSettings(deps.fs, plist)
  } catch (error) {
    if (!(error instanceof AfpError)) throw error
    const results = [fail('plist', error.message, error.hint ?? 'check the --plist path')]
    return { plist, format: undefined, reconnectKeyLocation: undefined, ok: false, results }
  }
  const location = settings.reconnectKeyLocation
  const results: CheckResult[] = [
    pass('plist', `${plist} is AppleFileServer's (${settings.document.format})`),
    settings.locationIsDefault
      ? fail(
          'key-location',
          `reconnectKeyLocation is not set: the key is at the default ${location}, which only this node can read`,
          'ipfo afp reconnect-key set /Volumes/<shared volume>/AFP.conf --move-existing',
        )
      : pass('key-location', `reconnectKeyLocation is ${location}`),
    ...(await volumeChecks(deps, location)),
    await keyPermissions(deps.fs, location),
    reconnectSettings(settings),
  ]
  return {
    plist,
    format: settings.document.format,
    reconnectKeyLocation: location,
    ok: results.every((r) => r.verdict !== 'fail'),
    results,
  }
}

async function volumeChecks(deps: AfpCheckDeps, location: string): Promise<CheckResult[]> {
  const v = await volumeOfPath(deps.fs, deps.mounts, location)
  const where = v.mount ? `${v.mount.mountPoint} (${v.mount.source}, ${v.mount.fsType})` : 'no known volume'
  const mounted = v.missingMount
    ? fail('volume-mounted', `nothing is mounted at ${v.missingMount}, where the key should be`, MOUNT_HOOK)
    : !v.directoryExists
      ? fail('volume-mounted', `the folder ${v.directory} does not exist: is its volume mounted?`, MOUNT_HOOK)
      : v.shared
        ? pass('volume-mounted', `${v.directory} is on ${where}, mounted now`)
        : fail(
            'volume-mounted',
            `${v.directory} is a folder of the startup volume, not a mounted volume`,
            MOUNT_HOOK,
          )
  const shared = v.shared
    ? pass('shared-volume', `${location} is on ${where}, not the startup volume`)
    : fail(
        'shared-volume',
        `${location} is on the startup volume ${where}${v.mount?.mountPoint !== '/' && v.mount ? ' (a bind mount of the startup disk)' : ''}: the other node cannot read it`,
        'put the key on storage both nodes mount: ipfo afp reconnect-key set /Volumes/<shared volume>/AFP.conf --move-existing',
      )
  return [shared, mounted]
}

async function keyPermissions(fs: AfpFs, location: string): Promise<CheckResult> {
  const stat = await fs.stat(location).catch((error: NodeJS.ErrnoException) => error)
  if (stat instanceof Error) {
    return stat.code === 'ENOENT'
      ? warn(
          'key-permissions',
          `no key at ${location} yet: the AFP server writes one when a client first connects`,
          'start AFP once with the shared volume mounted, or move the current key there with `ipfo afp reconnect-key set <path> --move-existing`',
        )
      : fail('key-permissions', `cannot read ${location}: ${stat.message}`, 'run as root (sudo)')
  }
  if (!stat.isFile)
    return fail(
      'key-permissions',
      `${location} is not a regular file`,
      `remove it; AFP writes the key file itself`,
    )
  const mode = (stat.mode & 0o777).toString(8).padStart(4, '0')
  if (stat.uid !== 0) {
    return fail(
      'key-permissions',
      `${location} is owned by uid ${stat.uid}, not root: ${KEY_RISK}`,
      `sudo chown root ${location}`,
    )
  }
  if (stat.mode & 0o077) {
    return fail('key-permissions', `${location} has mode ${mode}: ${KEY_RISK}`, `sudo chmod 600 ${location}`)
  }
  return pass('key-permissions', `${location} is root's, mode ${mode}`)
}

function reconnectSettings(s: AfpSettings): CheckResult {
  const problems: string[] = []
  if (s.reconnectTTLInMin !== undefined && s.reconnectTTLInMin <= 0) {
    problems.push(`reconnectTTLInMin is ${s.reconnectTTLInMin}: no disconnected session may resume`)
  }
  if (s.recon1SrvrKeyTTLHrs !== undefined && s.recon1SrvrKeyTTLHrs <= 0) {
    problems.push(`recon1SrvrKeyTTLHrs is ${s.recon1SrvrKeyTTLHrs}: every reconnect key has expired`)
  }
  if (s.reconnectFlag === 'none') problems.push('reconnectFlag is "none": reconnection is turned off')
  const file = s.document.file.replace(/\.plist$/, '')
  if (problems.length > 0) {
    return fail(
      'reconnect-settings',
      problems.join('; '),
      `restore Apple's defaults: sudo defaults write ${file} reconnectTTLInMin -int 1440; sudo defaults write ${file} recon1SrvrKeyTTLHrs -int 168; sudo defaults write ${file} reconnectFlag no_admin_kills`,
    )
  }
  const shown = `reconnectTTLInMin ${s.reconnectTTLInMin ?? '1440 (default)'}, recon1SrvrKeyTTLHrs ${s.recon1SrvrKeyTTLHrs ?? '168 (default)'}, reconnectFlag ${s.reconnectFlag ?? 'no_admin_kills (default)'}`
  if (s.reconnectFlag !== undefined && s.reconnectFlag !== 'no_admin_kills' && s.reconnectFlag !== 'all') {
    return warn(
      'reconnect-settings',
      `${shown}: "${s.reconnectFlag}" is not a reconnectFlag ipfo knows`,
      'use no_admin_kills (the default) or all',
    )
  }
  return pass('reconnect-settings', `${shown}: sessions can reconnect`)
}
