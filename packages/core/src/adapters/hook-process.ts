import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { dirname } from 'node:path'
import type { HookResult, HookRun } from '../hooks/apple-hooks.js'
import type { HookInvocation } from '../model/hook-contract.js'
import type { HookRegistry } from './hook-registry.js'
import { processGroupAlive, stopProcessGroup } from './process-group.js'

/** Where hooks look for commands: the system's folders, never the agent's inherited PATH. */
export const SAFE_HOOK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface HookProcessOptions {
  /** stdout and stderr are each kept up to this many bytes (default 16 KiB); the rest is counted. */
  readonly maxOutputBytes?: number
  /** After SIGTERM, how long the process group has before SIGKILL (default 2 s). */
  readonly killGraceMs?: number
  /** PATH given to hooks (default SAFE_HOOK_PATH plus the folder of the node running the agent). */
  readonly path?: string
  readonly now?: () => number
  /** Extra variables every hook gets (the config's hooks.passEnv, read from the agent's environment). */
  readonly env?: Readonly<Record<string, string>>
  /** Running hook groups are written down here, for a restarted agent to stop what a killed one left. */
  readonly registry?: HookRegistry
}

export interface HookUser {
  readonly uid: number
  readonly gid: number
}

const DEFAULT_MAX_OUTPUT = 16 * 1024
const DEFAULT_GRACE_MS = 2_000
/** After the hook exited, how long its output pipes may stay open (held by a process that left the group). */
const DRAIN_MS = 500

/**
 * Runs one hook in its own process group (`detached`: a new session), without a shell, with a clean
 * environment: PATH, LANG=C and the contract's IPFO_* / FAILOVER_* variables, nothing inherited.
 * Never throws; a hook that cannot start gets a shell's codes: 127 (not found) or 126 (cannot run).
 *
 * No orphans: at the timeout the whole group gets SIGTERM, then SIGKILL after the grace period, so
 * grandchildren die too. And when the hook exits but left processes in its group (`sleep 1000 &`),
 * they are stopped the same way and the hook's stderr says so: a hook that wants a long-running
 * program must hand it to systemd or launchd (`systemctl start`, `launchctl`) or `setsid` it.
 * This keeps "the checklist is done" meaning "nothing of it is still running".
 */
export function runHookProcess(
  file: string,
  invocation: HookInvocation,
  opts: HookProcessOptions & { readonly timeoutMs: number; readonly user?: HookUser },
): Promise<HookResult> {
  const now = opts.now ?? Date.now
  const graceMs = opts.killGraceMs ?? DEFAULT_GRACE_MS
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT
  const started = now()
  return new Promise((resolve) => {
    let child: ChildProcess
    try {
      child = spawn(file, [...invocation.argv], {
        cwd: '/',
        env: { PATH: opts.path ?? defaultHookPath(), LANG: 'C', ...opts.env, ...invocation.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      })
    } catch (error) {
      resolve(notStarted(file, error, now() - started))
      return
    }
    if (child.pid !== undefined) opts.registry?.add(child.pid, file)
    const stdout = boundedText(max)
    const stderr = boundedText(max)
    child.stdout?.on('data', stdout.add)
    child.stderr?.on('data', stderr.add)
    const closed = Promise.all([child.stdout, child.stderr].map((s) => (s ? onceClosed(s) : undefined)))
    let timedOut = false
    let stopping: Promise<void> | undefined
    const stop = (pgid: number) => {
      stopping ??= stopProcessGroup(pgid, graceMs)
      return stopping
    }
    const timer = setTimeout(() => {
      timedOut = true
      if (child.pid !== undefined) void stop(child.pid)
    }, opts.timeoutMs)

    child.once('error', (error) => {
      if (child.pid !== undefined) return // started; 'exit' reports it
      clearTimeout(timer)
      resolve(notStarted(file, error, now() - started))
    })
    child.once('exit', async (exitCode, signal) => {
      clearTimeout(timer)
      const durationMs = now() - started
      const pgid = child.pid!
      let note = ''
      if (!stopping && processGroupAlive(pgid)) {
        note = `[ipfo: ${file} left processes in its process group; they were stopped]\n`
      }
      if (stopping || note) await stop(pgid)
      opts.registry?.remove(pgid)
      await Promise.race([closed, delay(DRAIN_MS)])
      child.stdout?.destroy()
      child.stderr?.destroy()
      resolve({
        exitCode,
        signal,
        timedOut,
        durationMs,
        stdout: stdout.text(),
        stderr:
          stderr.text() + (timedOut ? `[ipfo: timed out after ${opts.timeoutMs} ms; killed]\n` : '') + note,
      })
    })
  })
}

/**
 * A `HookRun` for the hooks port: runs hooks with `runHookProcess`, as `user` when given (looked
 * up once with `id -u` / `id -g`, then cached).
 */
export function hookProcessRunner(opts: HookProcessOptions = {}): HookRun {
  const users = new Map<string, Promise<HookUser>>()
  return async (file, invocation, timeoutMs, user) => {
    let hookUser: HookUser | undefined
    if (user !== undefined) {
      let lookup = users.get(user)
      if (!lookup) {
        lookup = resolveUser(user)
        users.set(user, lookup)
        lookup.catch(() => users.delete(user))
      }
      try {
        hookUser = await lookup
      } catch (error) {
        return { ...notStarted(file, error, 0), exitCode: 126 }
      }
    }
    return runHookProcess(file, invocation, { ...opts, timeoutMs, ...(hookUser ? { user: hookUser } : {}) })
  }
}

/** The numeric uid and gid of a user name, from `id` (which reads the same databases as login). */
export async function resolveUser(name: string): Promise<HookUser> {
  const [uid, gid] = await Promise.all([idOf(name, '-u'), idOf(name, '-g')])
  return { uid, gid }
}

function idOf(name: string, flag: '-u' | '-g'): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('id', [flag, '--', name], { env: { PATH: SAFE_HOOK_PATH, LC_ALL: 'C' } }, (error, out, err) => {
      const value = Number(String(out).trim())
      if (error || !Number.isInteger(value)) {
        reject(
          new Error(`hook user "${name}" not found (id ${flag}: ${String(err).trim() || error?.message})`),
        )
      } else resolve(value)
    })
  })
}

/** SAFE_HOOK_PATH plus the folder of the node running the agent (exec checks get it too). */
export function defaultHookPath(): string {
  // So `#!/usr/bin/env node` hooks (hooks-stdlib) find the node that runs the agent.
  const nodeDir = dirname(process.execPath)
  return SAFE_HOOK_PATH.split(':').includes(nodeDir) ? SAFE_HOOK_PATH : `${SAFE_HOOK_PATH}:${nodeDir}`
}

function boundedText(max: number) {
  const chunks: Buffer[] = []
  let kept = 0
  let dropped = 0
  return {
    add(chunk: Buffer) {
      const part = chunk.subarray(0, Math.max(0, max - kept))
      if (part.length > 0) chunks.push(part)
      kept += part.length
      dropped += chunk.length - part.length
    },
    text(): string {
      const text = Buffer.concat(chunks).toString('utf8')
      return dropped > 0 ? `${text}\n[ipfo: ${dropped} more bytes not kept]\n` : text
    },
  }
}

function notStarted(file: string, error: unknown, durationMs: number): HookResult {
  const code = (error as { code?: unknown }).code
  const why =
    code === 'ENOENT'
      ? `${file} not found`
      : code === 'EACCES'
        ? `${file} cannot be run: permission denied`
        : code === 'ENOEXEC'
          ? `${file} is not a program (no #! line?)`
          : `${file} could not be started: ${error instanceof Error ? error.message : String(error)}`
  return {
    exitCode: code === 'ENOENT' ? 127 : 126,
    signal: null,
    timedOut: false,
    durationMs,
    stdout: '',
    stderr: `[ipfo: ${why}]\n`,
  }
}

function onceClosed(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()))
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
