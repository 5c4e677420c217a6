import type { CommandRunner } from '@ipfo/core'
import { z } from 'zod'
import { defineHook, type HookDeps, type HookOutcome } from '../define-hook.js'
import { durationSchema } from '../duration.js'
import { describeFailure } from '../runner.js'

const VERBS = ['start', 'restart', 'reload', 'stop', 'none'] as const
export type ServiceVerb = (typeof VERBS)[number]

export const serviceOptions = z.strictObject({
  unit: z
    .string()
    .min(1)
    .describe('The systemd unit ("nginx.service") or launchd label ("org.nginx.nginx").'),
  manager: z
    .enum(['systemd', 'launchd'])
    .optional()
    .describe('Default: launchd on macOS, systemd elsewhere.'),
  onAcquire: z.enum(VERBS).default('start').describe('What to do when the address is acquired.'),
  onRelease: z.enum(VERBS).default('stop').describe('What to do when the address is released.'),
  plist: z
    .string()
    .optional()
    .describe(
      "launchd: the job's plist, bootstrapped when the job is not loaded (default /Library/LaunchDaemons/<label>.plist).",
    ),
  timeout: durationSchema.prefault('60s').describe('How long one systemctl/launchctl call may take.'),
})

export type ServiceOptions = z.output<typeof serviceOptions>

type Manager = (verb: Exclude<ServiceVerb, 'none'>, options: ServiceOptions, run: Run) => Promise<HookOutcome>
type Run = (command: string, args: string[]) => Promise<{ ok: boolean; stdout: string; failure: string }>

/** systemd: `systemctl <verb> <unit>`, and for start/restart a check that the unit is active. */
const systemd: Manager = async (verb, { unit }, run) => {
  const action = await run('systemctl', [verb, unit])
  if (!action.ok) return { ok: false, summary: `${action.failure} (see journalctl -u ${unit})` }
  if (verb === 'start' || verb === 'restart') {
    const state = await run('systemctl', ['is-active', unit])
    if (!state.ok) {
      return {
        ok: false,
        summary: `${unit} is ${state.stdout.trim() || 'not active'} after ${verb} (see journalctl -u ${unit})`,
      }
    }
  }
  return { ok: true, summary: `systemctl ${verb} ${unit}: done` }
}

/**
 * launchd, in the system domain: a job that is not loaded is bootstrapped from its plist first;
 * start is `kickstart`, restart `kickstart -k`, reload SIGHUP, stop `bootout` (so KeepAlive does not
 * bring it back). Stopping a job that is not loaded succeeds.
 */
const launchd: Manager = async (verb, options, run) => {
  const target = `system/${options.unit}`
  const loaded = (await run('launchctl', ['print', target])).ok
  if (verb === 'stop') {
    if (!loaded) return { ok: true, summary: `${target} is not loaded: already stopped` }
    const out = await run('launchctl', ['bootout', target])
    return out.ok
      ? { ok: true, summary: `launchctl bootout ${target}: done` }
      : { ok: false, summary: out.failure }
  }
  if (verb === 'reload') {
    const out = await run('launchctl', ['kill', 'SIGHUP', target])
    return out.ok ? { ok: true, summary: `sent SIGHUP to ${target}` } : { ok: false, summary: out.failure }
  }
  if (!loaded) {
    const plist = options.plist ?? `/Library/LaunchDaemons/${options.unit}.plist`
    const boot = await run('launchctl', ['bootstrap', 'system', plist])
    if (!boot.ok) return { ok: false, summary: boot.failure }
  }
  const args = verb === 'restart' ? ['kickstart', '-k', target] : ['kickstart', target]
  const out = await run('launchctl', args)
  return out.ok
    ? { ok: true, summary: `launchctl ${args.join(' ')}: done` }
    : { ok: false, summary: out.failure }
}

/** Starts, stops, restarts or reloads the service, as the options say for this action. */
export async function controlService(
  verb: ServiceVerb,
  options: ServiceOptions,
  runner: CommandRunner,
  platform: string = process.platform,
): Promise<HookOutcome> {
  if (verb === 'none') return { ok: true, summary: `nothing to do for ${options.unit}` }
  const manager =
    (options.manager ?? (platform === 'darwin' ? 'launchd' : 'systemd')) === 'launchd' ? launchd : systemd
  const run: Run = async (command, args) => {
    const result = await runner.run(command, args, { timeoutMs: options.timeout })
    return {
      ok: result.exitCode === 0,
      stdout: result.stdout,
      failure: describeFailure(command, args, result),
    }
  }
  return manager(verb, options, run)
}

export const serviceHook = defineHook({
  name: 'service',
  description: 'Starts, stops, restarts or reloads a systemd unit, or a launchd job on macOS.',
  options: serviceOptions,
  async run(event, options, deps: HookDeps) {
    if (event.phase === 'Test') return { ok: true, summary: 'the service hook does nothing as a Test gate' }
    const verb = event.action === 'acquire' ? options.onAcquire : options.onRelease
    return controlService(verb, options, deps.runner)
  },
})
