import { readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { HookDeps, HookOutcome } from '../define-hook.js'
import { describeFailure } from '../runner.js'
import { findMount, isSameMount } from './findmnt.js'
import type { MountOptions } from './mount.js'

type Deps = Pick<HookDeps, 'runner' | 'note' | 'sleep' | 'now'>

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
async function signalHolders(o: MountOptions, signal: 'TERM' | 'KILL', deps: Deps): Promise<number[]> {
  if (o.type === 'bind') {
    const pids = await processesUsing(o.target)
    if (pids.length > 0)
      await deps.runner.run('kill', [`-${signal}`, ...pids.map(String)], { timeoutMs: 5000 })
    return pids
  }
  const result = await deps.runner.run('fuser', ['-k', `-${signal}`, '-M', '-m', o.target], {
    timeoutMs: 10_000,
  })
  return (result.stdout.match(/\d+/g) ?? []).map(Number)
}

/**
 * Unmounts, escalating only as far as needed: umount; if busy, retry until `grace` runs out; then
 * SIGTERM the holders and retry for `killAfter`; then SIGKILL them; last, `umount -l` (lazy) with a
 * loud warning. Nothing mounted: success. Something else mounted there: failure, left alone.
 */
export async function unmountVolume(o: MountOptions, deps: Deps): Promise<HookOutcome> {
  const current = await findMount(deps.runner, o.target)
  if (current === undefined) return { ok: true, summary: `${o.target} is not mounted` }
  if (!(await isSameMount(current, o))) {
    return { ok: false, summary: `${o.target} has ${current.source} mounted, not ${o.source}; left mounted` }
  }
  const umount = async () =>
    (await deps.runner.run('umount', [o.target], { timeoutMs: o.timeout })).exitCode === 0
  const retryFor = async (ms: number) => {
    const deadline = deps.now() + ms
    while (deps.now() < deadline) {
      await deps.sleep(Math.min(200, Math.max(0, deadline - deps.now())))
      if (await umount()) return true
    }
    return false
  }

  if (await umount()) return verify(o, deps, `unmounted ${o.target}`)
  deps.note(`mount: ${o.target} is busy; waiting up to ${o.grace} ms for its users to leave`)
  if (await retryFor(o.grace)) return verify(o, deps, `unmounted ${o.target} once its users left`)

  const termed = await signalHolders(o, 'TERM', deps)
  deps.note(`mount: sent SIGTERM to the processes using ${o.target}: ${termed.join(' ') || '(none found)'}`)
  if (await retryFor(o.killAfter))
    return verify(o, deps, `unmounted ${o.target} after stopping ${list(termed)}`)

  const killed = await signalHolders(o, 'KILL', deps)
  deps.note(`mount: sent SIGKILL to the processes using ${o.target}: ${killed.join(' ') || '(none found)'}`)
  if (await retryFor(500))
    return verify(o, deps, `unmounted ${o.target} after killing ${list([...termed, ...killed])}`)

  const lazy = await deps.runner.run('umount', ['-l', o.target], { timeoutMs: o.timeout })
  if (lazy.exitCode !== 0) return { ok: false, summary: describeFailure('umount', ['-l', o.target], lazy) }
  deps.note(
    `mount: WARNING: ${o.target} could not be unmounted cleanly and was detached with "umount -l" (lazy): ` +
      'it stays in use, and unwritten data stays unflushed, until its last user lets go',
  )
  return verify(o, deps, `LAZILY unmounted ${o.target} (umount -l): something still holds it`)
}

async function verify(o: MountOptions, deps: Deps, summary: string): Promise<HookOutcome> {
  const still = await findMount(deps.runner, o.target)
  if (still !== undefined && (await isSameMount(still, o))) {
    return { ok: false, summary: `umount said yes but findmnt still shows ${still.source} on ${o.target}` }
  }
  return { ok: true, summary }
}

function list(pids: readonly number[]): string {
  const unique = [...new Set(pids)]
  return unique.length === 0 ? 'its users' : `process${unique.length === 1 ? '' : 'es'} ${unique.join(', ')}`
}
