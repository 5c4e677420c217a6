import {
  AfpError,
  type AfpFs,
  checkNetatalk,
  type MountTable,
  nodeFs,
  readAfpSettings,
  systemMountTable,
  volumeOfPath,
} from '@ipfo/afp'
import { z } from 'zod'
import { defineHook, type HookDeps, type HookOutcome } from '../define-hook.js'
import { durationSchema } from '../duration.js'
import { describeFailure } from '../runner.js'
import { controlService } from './service.js'

export const afpOptions = z.strictObject({
  server: z
    .enum(['macos', 'netatalk'])
    .optional()
    .describe(
      'macOS Server (serveradmin) or Netatalk (systemd). Default: macos on macOS, netatalk elsewhere.',
    ),
  plist: z
    .string()
    .default('/Library/Preferences/com.apple.AppleFileServer.plist')
    .describe("macos: the AFP server's plist, read for reconnectKeyLocation."),
  serveradmin: z
    .string()
    .default('serveradmin')
    .describe('macos: the serveradmin command (a full path if it is not on PATH).'),
  conf: z
    .string()
    .default('/etc/netatalk/afp.conf')
    .describe("netatalk: afp.conf, read for the signature and the CNID database's location."),
  voluuid: z
    .string()
    .default('/var/lib/netatalk/afp_voluuid.conf')
    .describe('netatalk: afp_voluuid.conf (checked when it exists).'),
  unit: z.string().default('netatalk.service').describe('netatalk: the systemd unit.'),
  requireKey: z
    .boolean()
    .default(false)
    .describe(
      'macos: fail when the reconnect key file does not exist yet (AFP writes it on the first connection).',
    ),
  onRelease: z
    .enum(['stop', 'none'])
    .default('stop')
    .describe('What to do with AFP when the address is released.'),
  timeout: durationSchema.prefault('60s').describe('How long one serveradmin or systemctl call may take.'),
})

export type AfpOptions = z.output<typeof afpOptions>

/** What the hook reads besides commands: the file system and the mount table (fakes in tests). */
export interface AfpHookIo {
  readonly fs: AfpFs
  readonly mounts: MountTable
  readonly platform: NodeJS.Platform
}

const systemIo = (): AfpHookIo => ({ fs: nodeFs, mounts: systemMountTable(), platform: process.platform })

/**
 * Runs after the address is acquired (PostAcq): checks that the state AFP sessions need is in place
 * on the shared volume, then restarts AFP so it reads it. macOS Server: the reconnect key named by
 * the plist is on a mounted volume other than the startup disk, and private to root; then
 * `serveradmin stop afp` and `serveradmin start afp`. Netatalk: the signature is fixed in afp.conf
 * and the CNID databases are on a mounted shared volume; then `systemctl restart`.
 */
export async function runAfpHook(
  action: 'acquire' | 'release',
  options: AfpOptions,
  deps: HookDeps,
  io: AfpHookIo = systemIo(),
): Promise<HookOutcome> {
  const server = options.server ?? (io.platform === 'darwin' ? 'macos' : 'netatalk')
  if (action === 'release') {
    if (options.onRelease === 'none') return { ok: true, summary: 'AFP left running (onRelease: none)' }
    if (server !== 'macos') return netatalkService('stop', options, deps)
    const { ok, summary } = await serveradmin('stop', options, deps)
    return { ok, summary }
  }
  const ready =
    server === 'macos' ? await macosReady(options, io) : await netatalkReady(options, io, deps.note)
  if (!ready.ok) return ready
  deps.note(ready.summary)
  const restarted =
    server === 'macos'
      ? await serveradminRestart(options, deps)
      : await netatalkService('restart', options, deps)
  return restarted.ok ? { ok: true, summary: `${ready.summary}; ${restarted.summary}` } : restarted
}

async function macosReady(options: AfpOptions, io: AfpHookIo): Promise<HookOutcome> {
  let location: string
  try {
    location = (await readAfpSettings(io.fs, options.plist)).reconnectKeyLocation
  } catch (error) {
    if (error instanceof AfpError)
      return { ok: false, summary: `${error.message}${error.hint ? ` (${error.hint})` : ''}` }
    throw error
  }
  const volume = await volumeOfPath(io.fs, io.mounts, location)
  if (!volume.shared) {
    const why = volume.missingMount
      ? `nothing is mounted at ${volume.missingMount}`
      : 'it is on the startup volume'
    return {
      ok: false,
      summary: `the AFP reconnect key ${location} is not on a shared volume (${why}): sessions would not survive; mount it in PreAcq (ipfo afp check)`,
    }
  }
  const key = await io.fs.stat(location).catch(() => undefined)
  if (!key) {
    if (options.requireKey)
      return { ok: false, summary: `no reconnect key at ${location} (requireKey is set)` }
    return {
      ok: true,
      summary: `reconnect key location ${location} is on ${volume.mount?.mountPoint} (no key yet: AFP will write it)`,
    }
  }
  if (key.uid !== 0 || key.mode & 0o077) {
    return {
      ok: false,
      summary: `the reconnect key ${location} is not private to root (uid ${key.uid}, mode ${(key.mode & 0o777).toString(8)}): sudo chown root ${location} && sudo chmod 600 ${location}`,
    }
  }
  return { ok: true, summary: `reconnect key ${location} is on ${volume.mount?.mountPoint}` }
}

async function netatalkReady(
  options: AfpOptions,
  io: AfpHookIo,
  note: (line: string) => void,
): Promise<HookOutcome> {
  let report: Awaited<ReturnType<typeof checkNetatalk>>
  try {
    report = await checkNetatalk(io, { local: { conf: options.conf, voluuid: options.voluuid } })
  } catch (error) {
    if (error instanceof AfpError)
      return { ok: false, summary: `${error.message}${error.hint ? ` (${error.hint})` : ''}` }
    throw error
  }
  // A random signature or a CNID database on the startup disk breaks every session: refuse. Other
  // findings (a volume without a UUID entry) are worth a note but not worth leaving AFP down.
  const blocking = report.results.filter(
    (r) => r.verdict === 'fail' && /^netatalk\.(signature|cnid)\./.test(r.check),
  )
  if (blocking.length > 0) {
    return { ok: false, summary: `${blocking.map((f) => f.detail).join('; ')} (ipfo afp netatalk check)` }
  }
  for (const r of report.results) if (r.verdict === 'fail') note(`afp: ${r.detail}`)
  return { ok: true, summary: `${options.conf}: fixed signature, CNID databases on shared storage` }
}

async function serveradmin(verb: 'start' | 'stop' | 'status', options: AfpOptions, deps: HookDeps) {
  const args = [verb, 'afp']
  const result = await deps.runner.run(options.serveradmin, args, { timeoutMs: options.timeout })
  const state = /afp:state\s*=\s*"?([A-Z_]+)"?/.exec(result.stdout)?.[1]
  const want = verb === 'stop' ? 'STOPPED' : 'RUNNING'
  if (result.exitCode !== 0) return { ok: false, summary: describeFailure(options.serveradmin, args, result) }
  if (verb !== 'status' && state !== undefined && state !== want) {
    return { ok: false, summary: `serveradmin ${verb} afp left AFP ${state}, not ${want}` }
  }
  return { ok: true, summary: `serveradmin ${verb} afp: ${state ?? 'done'}`, state }
}

/** Stop then start (serveradmin has no restart), then check that AFP is RUNNING. */
async function serveradminRestart(options: AfpOptions, deps: HookDeps): Promise<HookOutcome> {
  const stop = await serveradmin('stop', options, deps)
  if (!stop.ok) return { ok: false, summary: stop.summary }
  const start = await serveradmin('start', options, deps)
  if (!start.ok) return { ok: false, summary: start.summary }
  const status = await serveradmin('status', options, deps)
  if (status.state !== 'RUNNING') {
    return {
      ok: false,
      summary: `AFP is ${status.state ?? 'in an unknown state'} after serveradmin start afp (see /Library/Logs/AppleFileService)`,
    }
  }
  return { ok: true, summary: 'AFP restarted (RUNNING)' }
}

function netatalkService(
  verb: 'restart' | 'stop',
  options: AfpOptions,
  deps: HookDeps,
): Promise<HookOutcome> {
  return controlService(
    verb,
    {
      unit: options.unit,
      manager: 'systemd',
      onAcquire: 'restart',
      onRelease: 'stop',
      timeout: options.timeout,
    },
    deps.runner,
  )
}

export const afpHook = defineHook({
  name: 'afp',
  description:
    'PostAcq: checks that the AFP reconnect key (macOS Server) or the Netatalk shared state is on the shared volume, then restarts AFP; stops it on release.',
  options: afpOptions,
  async run(event, options, deps) {
    if (event.phase === 'Test') return { ok: true, summary: 'the afp hook does nothing as a Test gate' }
    return runAfpHook(event.action, options, deps)
  },
})
