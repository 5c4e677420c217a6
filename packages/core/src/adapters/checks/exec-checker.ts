import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process'
import { constants } from 'node:os'
import type { HealthResult } from '../../model/health.js'
import { defaultHookPath } from '../hook-process.js'
import { signalProcessGroup } from '../process-group.js'
import { EXEC_HELPER_PERL } from './exec-helper-perl.js'

/** One run of an `exec` check; `durationMs` is the helper's measure, to its clock tick (10 ms). */
export interface ExecCheckResult extends HealthResult {
  readonly durationMs: number
}

export interface ExecChecker {
  /** Runs argv (exit 0 = healthy), killed with its whole process group at the timeout. Never rejects. */
  run(argv: readonly string[], timeoutMs: number): Promise<ExecCheckResult>
  /** Ends the helper: running checks are killed and resolve as failed. */
  close(): Promise<void>
  /** The helper's pid while it runs. */
  readonly pid: number | undefined
}

export interface ExecCheckerOptions {
  /** Extra variables every check gets, besides PATH and LANG=C. */
  readonly env?: Readonly<Record<string, string>>
  /** PATH for checks (default: the hooks' PATH, SAFE_HOOK_PATH plus the folder of the running node). */
  readonly path?: string
  /** Told once per helper that dies or cannot start, and when one is started again. */
  readonly report?: (message: string) => void
  readonly spawn?: typeof nodeSpawn
  /** A dead helper is started again at a run at least this long after its last start (default 30 s). */
  readonly restartAfterMs?: number
  readonly now?: () => number
}

const RESTART_AFTER_MS = 30_000
/** How long past its timeout a run waits for the helper's answer before it is failed anyway. */
const ANSWER_GRACE_MS = 5_000
/** After close(), how long the helper has to kill its checks and exit before it is killed. */
const CLOSE_GRACE_MS = 3_000
/** Each check holds 3 descriptors in the helper, whose select() stops at 1024. */
const MAX_RUNNING = 200
const DETAIL_MAX = 200
/** A day: far past any sensible check, and well inside what setTimeout can wait. */
const MAX_TIMEOUT_MS = 86_400_000

interface Pending {
  readonly argv0: string
  readonly timeoutMs: number
  readonly resolve: (result: ExecCheckResult) => void
  readonly timer: NodeJS.Timeout
  pgid?: number
}

/**
 * `exec` health checks without a spawn per check. Starting a process stalls Node's event loop 5-20 ms
 * (longer than the fastest heartbeat interval), so one helper (perl, `exec-helper-perl.ts`) is
 * started here, once, before any heartbeat, and starts every check; the agent only writes and reads
 * lines on its pipes. perl-base is Essential on Debian and Ubuntu, as for the systemd notify helper.
 *
 * The wire, one ASCII line each way; every string is hex with an `x` in front (`x` alone is empty),
 * so arguments may hold spaces, newlines or any bytes but NUL, which no argv can carry:
 *   agent  -> helper  `run <id> <timeoutMs> x<argv0> x<argv1> ...`
 *   helper -> agent   `started <id> <pgid>`
 *                     `done <id> <how> <value> <ms> <left> x<stdout> x<stderr>`
 * `how` is `exit` (value: code), `signal` (number), `timeout` (killed at the deadline), `noexec`
 * (errno of a failed exec) or `error` (errno of a failed pipe or fork: nothing ran); `left` is 1 when
 * the check left processes in its group (they were killed); stdout and stderr are their first 1 KiB.
 *
 * The helper's environment is the checks': PATH, LANG=C and `env`, nothing of the agent's.
 *
 * A helper that dies fails the runs it had (their process groups are killed from here, as it cannot)
 * and is reported once. It is started again lazily, by a later run, but at most once every
 * `restartAfterMs` (30 s): each start stalls the loop again, and one late heartbeat every 30 s is
 * absorbed by a peer's dead time of a few intervals, while a restart at every run of a helper that
 * keeps dying (perl removed, a broken PERL5LIB in `env`) would be a stall at every check. Runs in
 * between fail at once, saying when it is tried again. After close() nothing is started again.
 */
export function startExecChecker(opts: ExecCheckerOptions = {}): ExecChecker {
  const spawn = opts.spawn ?? nodeSpawn
  const report = opts.report ?? (() => {})
  const now = opts.now ?? Date.now
  const restartAfterMs = opts.restartAfterMs ?? RESTART_AFTER_MS
  const env = { PATH: opts.path ?? defaultHookPath(), LANG: 'C', ...opts.env }
  const pending = new Map<number, Pending>()
  let nextId = 1
  let helper: ChildProcess | undefined
  let lastStart = 0
  let gone = '' // why there is no helper, when there is none
  let closing: Promise<void> | undefined

  const settle = (id: number, result: HealthResult & { durationMs?: number }) => {
    const run = pending.get(id)
    if (!run) return
    pending.delete(id)
    clearTimeout(run.timer)
    run.resolve({ durationMs: 0, ...result })
  }

  const onLine = (line: string) => {
    const [kind, idText, ...rest] = line.split(' ')
    const id = Number(idText)
    const run = pending.get(id)
    if (!run) return
    if (kind === 'started') run.pgid = Number(rest[0])
    else if (kind === 'done') settle(id, outcome(run, rest))
  }

  const start = (): ChildProcess | undefined => {
    lastStart = now()
    let child: ChildProcess
    try {
      // Its own session: a Ctrl-C or a closed terminal reaches the agent alone, not its checks.
      child = spawn('perl', ['-e', EXEC_HELPER_PERL], { env, cwd: '/', stdio: 'pipe', detached: true })
    } catch (error) {
      gone = `the exec-check helper (perl) could not be started: ${(error as Error).message}`
      report(`${gone}; exec checks fail until it is started again`)
      return undefined
    }
    child.on('error', () => undefined)
    child.stdin?.on('error', () => undefined)
    if (child.pid === undefined) {
      gone = `the exec-check helper could not be started (no perl in ${env.PATH}?)`
      report(
        `${gone}; exec checks fail until it is started again (at most once every ${restartAfterMs / 1000} s)`,
      )
      return undefined
    }
    helper = child
    gone = ''
    let lines = ''
    let errors = ''
    child.stdout?.setEncoding('latin1').on('data', (chunk: string) => {
      lines += chunk
      let end = lines.indexOf('\n')
      while (end >= 0) {
        onLine(lines.slice(0, end))
        lines = lines.slice(end + 1)
        end = lines.indexOf('\n')
      }
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      errors = (errors + chunk).slice(-2000)
    })
    // 'close', not 'exit': the answers it wrote before it ended are read first.
    child.once('close', (code, signal) => {
      if (helper === child) helper = undefined
      const why = `the exec-check helper (perl, pid ${child.pid}) exited (${signal ?? `code ${code}`})`
      gone = why
      const lost = [...pending.keys()]
      for (const id of lost) {
        const pgid = pending.get(id)?.pgid
        if (pgid !== undefined) signalProcessGroup(pgid, 'SIGKILL')
        settle(id, { ok: false, detail: closing ? 'stopped: the exec checker was closed' : why })
      }
      if (!closing) {
        const last = errors.trim().split('\n').pop()
        report(
          `${why}${last ? `: ${last}` : ''}; ${lost.length} running check${lost.length === 1 ? '' : 's'} failed; it is started again by a later check, at most once every ${restartAfterMs / 1000} s`,
        )
      }
    })
    // An idle checker must not keep a finished agent alive; a pending run's timer does while it waits.
    child.unref()
    for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.()
    return child
  }

  start()

  return {
    get pid() {
      return helper?.pid
    },
    run(argv, timeoutMs) {
      const refused = refuse(argv, timeoutMs, pending.size)
      if (refused) return Promise.resolve({ ok: false, detail: refused, durationMs: 0 })
      if (closing) return Promise.resolve({ ok: false, detail: 'the exec checker is closed', durationMs: 0 })
      let running = helper
      if (!running && now() - lastStart >= restartAfterMs) {
        running = start()
        if (running) report(`the exec-check helper (perl) was started again (pid ${running.pid})`)
      }
      if (!running) {
        const wait = Math.ceil((lastStart + restartAfterMs - now()) / 1000)
        return Promise.resolve({
          ok: false,
          detail: `${gone}; started again in ${wait} s at the earliest`,
          durationMs: 0,
        })
      }
      const ms = Math.ceil(timeoutMs)
      const id = nextId++
      return new Promise((resolve) => {
        const timer = setTimeout(
          () =>
            settle(id, {
              ok: false,
              detail: `no answer from the exec-check helper ${ANSWER_GRACE_MS} ms after the timeout`,
            }),
          ms + ANSWER_GRACE_MS,
        )
        pending.set(id, { argv0: argv[0]!, timeoutMs: ms, resolve, timer })
        running.stdin?.write(`run ${id} ${ms} ${argv.map(hex).join(' ')}\n`)
      })
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const child = helper
        if (!child) return resolve()
        const killer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS)
        child.once('close', () => {
          clearTimeout(killer)
          resolve()
        })
        child.stdin?.end()
      })
      return closing
    },
  }
}

/** Why a run is refused before it reaches the helper, or undefined. */
function refuse(argv: readonly string[], timeoutMs: number, running: number): string | undefined {
  if (argv.length === 0 || argv[0] === '') return 'no command to run'
  if (argv.some((arg) => arg.includes('\0'))) return 'an argument holds a NUL byte'
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) return `bad timeout: ${timeoutMs} ms`
  if (running >= MAX_RUNNING) return `too many exec checks running at once (${MAX_RUNNING})`
  return undefined
}

function hex(text: string): string {
  return `x${Buffer.from(text, 'utf8').toString('hex')}`
}

function unhex(field: string | undefined): string {
  return Buffer.from((field ?? 'x').slice(1), 'hex').toString('utf8')
}

/** The result of a `done` line: `<how> <value> <ms> <left> x<stdout> x<stderr>`. */
function outcome(run: Pending, fields: readonly string[]): ExecCheckResult {
  const [how, valueText, msText, left, out, err] = fields
  const value = Number(valueText)
  const durationMs = Number(msText)
  const said = firstLine(unhex(err)) || firstLine(unhex(out))
  const leftNote = left === '1' ? ' (it left processes behind: killed)' : ''
  switch (how) {
    case 'exit':
      return {
        ok: value === 0,
        detail: `exit ${value}${value !== 0 && said ? `: ${said}` : ''}${leftNote}`,
        durationMs,
      }
    case 'signal':
      return { ok: false, detail: `killed by ${signalName(value)}${leftNote}`, durationMs }
    case 'timeout':
      return { ok: false, detail: `timed out after ${run.timeoutMs} ms (killed)`, durationMs }
    case 'noexec': {
      const name = errnoName(value)
      const detail =
        name === 'ENOENT'
          ? `not found: ${run.argv0}`
          : name === 'EACCES'
            ? `cannot run: ${run.argv0} (permission denied)`
            : name === 'ENOEXEC'
              ? `cannot run: ${run.argv0} (not a program: no #! line?)`
              : `cannot run: ${run.argv0} (${name})`
      return { ok: false, detail, durationMs }
    }
    default:
      return {
        ok: false,
        detail: `the exec-check helper could not start it (${errnoName(value)})`,
        durationMs,
      }
  }
}

/** The first line with something to read (control characters, as a binary's output holds, become spaces). */
function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.replace(/\p{Cc}/gu, ' ').trim())
  const trimmed = lines.find((l) => l !== '') ?? ''
  return trimmed.length > DETAIL_MAX ? `${trimmed.slice(0, DETAIL_MAX)}...` : trimmed
}

function signalName(number: number): string {
  return Object.entries(constants.signals).find(([, n]) => n === number)?.[0] ?? `signal ${number}`
}

function errnoName(number: number): string {
  return Object.entries(constants.errno).find(([, n]) => n === number)?.[0] ?? `errno ${number}`
}
