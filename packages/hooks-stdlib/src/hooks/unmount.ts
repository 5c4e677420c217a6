import type { HookDeps, HookOutcome } from '../define-hook.js'
import { describeFailure } from '../runner.js'
import type { MountOptions } from './mount-options.js'
import type { MountSystem } from './mount-system.js'
import { mountSystem } from './platform-mounts.js'

type Deps = Pick<HookDeps, 'runner' | 'note' | 'sleep' | 'now'> & {
  /** Which tools to use; process.platform when not given (tests pass 'darwin'). */
  readonly platform?: NodeJS.Platform
}

/**
 * Unmounts, escalating only as far as needed: umount (macOS: `diskutil unmount` for a block device);
 * if busy, retry until `grace` runs out; then SIGTERM the holders and retry for `killAfter`; then
 * SIGKILL them; last, with a loud warning, `umount -l` (lazy) on Linux or a forced unmount on macOS,
 * which has no lazy unmount. Nothing mounted: success. Something else mounted there: failure, left alone.
 */
export async function unmountVolume(o: MountOptions, deps: Deps): Promise<HookOutcome> {
  const system = mountSystem(deps.platform ?? process.platform, deps.runner)
  system.validate(o)
  const current = await system.find(o.target)
  if (current === undefined) return { ok: true, summary: `${o.target} is not mounted` }
  if (!(await system.isSame(current, o))) {
    return { ok: false, summary: `${o.target} has ${current.source} mounted, not ${o.source}; left mounted` }
  }
  const [command, args] = system.unmountCommand(o)
  const umount = async () => (await deps.runner.run(command, args, { timeoutMs: o.timeout })).exitCode === 0
  const retryFor = async (ms: number) => {
    const deadline = deps.now() + ms
    while (deps.now() < deadline) {
      await deps.sleep(Math.min(200, Math.max(0, deadline - deps.now())))
      if (await umount()) return true
    }
    return false
  }
  const done = (summary: string) => verify(o, system, command, summary)

  if (await umount()) return done(`unmounted ${o.target}`)
  deps.note(`mount: ${o.target} is busy; waiting up to ${o.grace} ms for its users to leave`)
  if (await retryFor(o.grace)) return done(`unmounted ${o.target} once its users left`)

  const termed = await system.signalHolders(o, 'TERM')
  deps.note(`mount: sent SIGTERM to the processes using ${o.target}: ${termed.join(' ') || '(none found)'}`)
  if (await retryFor(o.killAfter)) return done(`unmounted ${o.target} after stopping ${list(termed)}`)

  const killed = await system.signalHolders(o, 'KILL')
  deps.note(`mount: sent SIGKILL to the processes using ${o.target}: ${killed.join(' ') || '(none found)'}`)
  if (await retryFor(500)) return done(`unmounted ${o.target} after killing ${list([...termed, ...killed])}`)

  const [lastCommand, lastArgs] = system.lastResort.command(o)
  const last = await deps.runner.run(lastCommand, lastArgs, { timeoutMs: o.timeout })
  if (last.exitCode !== 0) return { ok: false, summary: describeFailure(lastCommand, lastArgs, last) }
  deps.note(system.lastResort.warning(o))
  return done(system.lastResort.summary(o))
}

async function verify(
  o: MountOptions,
  system: MountSystem,
  command: string,
  summary: string,
): Promise<HookOutcome> {
  const still = await system.find(o.target)
  if (still !== undefined && (await system.isSame(still, o))) {
    return {
      ok: false,
      summary: `${command} said yes but ${system.lister} still shows ${still.source} on ${o.target}`,
    }
  }
  return { ok: true, summary }
}

function list(pids: readonly number[]): string {
  const unique = [...new Set(pids)]
  return unique.length === 0 ? 'its users' : `process${unique.length === 1 ? '' : 'es'} ${unique.join(', ')}`
}
