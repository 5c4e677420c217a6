import { type ChildProcess, spawn } from 'node:child_process'
import type { EventBody } from '../model/events.js'
import type { GuardBrief, GuardPort, LastWord } from '../model/ports.js'
import { briefLine, type GuardHello, helloLine, STAND_DOWN_LINE, wordLine } from './guard-protocol.js'

/** What `ipfo status` shows of the guard. */
export interface GuardStatus {
  /** Null while it is being restarted. */
  readonly pid: number | null
  readonly restarts: number
  /** The addresses it would remove if the agent died now, and those it would keep. */
  readonly handOver: readonly string[]
  readonly keep: readonly string[]
  readonly lastWordLinks: readonly string[]
}

export interface GuardProcess extends GuardPort {
  status(): GuardStatus
  /** A clean stop: the guard is told to do nothing and its pipe closed; resolves once it has exited. */
  standDown(): Promise<void>
}

export interface GuardProcessOptions {
  /** The guard program (perl, with the guard's script in `args`: see `@ipfo/core/guard`). */
  readonly command: string
  readonly args: readonly string[]
  /** Set in the guard's environment, over the agent's; null removes a variable. */
  readonly env?: Readonly<Record<string, string | null>>
  readonly hello: GuardHello
  readonly report: (event: EventBody) => void
  /** The first wait before starting a guard that died again (default 1 s), doubling up to a minute. */
  readonly restartDelayMs?: number
}

/** Words are dropped rather than queued past this: a stopped guard must not grow the agent's memory. */
const MAX_QUEUED_BYTES = 64 * 1024
const MAX_RESTART_DELAY_MS = 60_000

/** The agent's environment with `changes` made. */
function environment(changes: Readonly<Record<string, string | null>>): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete env[name]
    else env[name] = value
  }
  return env
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Starts the guard and keeps it told. Its stdin is the pipe whose closing, at the agent's death
 * whatever the cause, sets it off. It runs in its own session (a signal to the agent's process group,
 * a terminal's Ctrl-C, does not reach it) and ignores SIGTERM, SIGINT and SIGHUP: it ends when its
 * pipe closes. One fork at start; a guard that dies is reported (`guard-died`) and started again.
 */
export function startGuardProcess(opts: GuardProcessOptions): GuardProcess {
  let child: ChildProcess | undefined
  let restarts = 0
  let standingDown = false
  let brief: GuardBrief = { handOver: [], keep: [] }
  let words: readonly LastWord[] = []
  let restartTimer: NodeJS.Timeout | undefined

  let briefSkipped = false
  const write = (line: string, droppable: boolean) => {
    const stdin = child?.stdin
    if (!stdin || stdin.destroyed) return false
    if (droppable && stdin.writableLength > MAX_QUEUED_BYTES) return false
    stdin.write(line)
    return true
  }
  const writeBrief = () => {
    // A brief is dropped too while the guard reads nothing; the latest goes out when it drains.
    briefSkipped = !write(briefLine(brief), true)
  }
  let wordsSkipped = false
  const writeWords = () => {
    wordsSkipped = !write(wordLine(words), true)
  }

  /** A guard that cannot start or keeps dying is started again at once, then after 1 s, 2 s, ... 1 min. */
  function scheduleRestart(): void {
    restarts++
    const base = opts.restartDelayMs ?? 1_000
    const delay = restarts === 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, base * 2 ** (restarts - 2))
    restartTimer = setTimeout(start, delay)
    restartTimer.unref()
  }

  function start(): void {
    let proc: ChildProcess
    try {
      proc = spawn(opts.command, [...opts.args], {
        stdio: ['pipe', 'inherit', 'inherit'],
        detached: true,
        ...(opts.env ? { env: environment(opts.env) } : {}),
      })
    } catch (error) {
      // ENOMEM and the like throw here rather than emit: the agent runs on, unguarded, and says so.
      child = undefined
      opts.report({ kind: 'error', message: messageOf(error), context: 'starting the guard' })
      if (!standingDown) scheduleRestart()
      return
    }
    child = proc
    proc.stdin?.on('error', () => {})
    proc.stdin?.on('drain', () => {
      if (child !== proc) return
      if (briefSkipped) writeBrief()
      // A word is made again only when a round passes it (about once a second): one dropped must
      // not leave the guard a passed one meanwhile.
      if (wordsSkipped) writeWords()
    })
    proc.on('error', (error) => {
      opts.report({ kind: 'error', message: error.message, context: 'starting the guard' })
      // EAGAIN, EACCES, ENOENT: no process, so no exit event will come.
      if (proc.pid === undefined && child === proc) {
        child = undefined
        if (!standingDown) scheduleRestart()
      }
    })
    proc.once('exit', (code, signal) => {
      if (child === proc) child = undefined
      if (standingDown) return
      opts.report({ kind: 'guard-died', pid: proc.pid ?? null, exitCode: code, signal })
      scheduleRestart()
    })
    proc.unref()
    write(helloLine(opts.hello), false)
    write(briefLine(brief), false)
    if (words.length > 0) write(wordLine(words), false)
    if (proc.pid !== undefined) opts.report({ kind: 'guard-started', pid: proc.pid, restarts })
  }

  start()
  return {
    brief(next) {
      brief = next
      writeBrief()
    },
    lastWord(next) {
      words = next
      writeWords()
    },
    status: () => ({
      pid: child?.pid ?? null,
      restarts,
      handOver: brief.handOver.map((a) => `${a.ip}/${a.prefix}@${a.interface}`),
      keep: brief.keep.map((a) => `${a.ip}/${a.prefix}@${a.interface}`),
      lastWordLinks: words.map((w) => w.link),
    }),
    async standDown() {
      standingDown = true
      if (restartTimer) clearTimeout(restartTimer)
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
      proc.stdin?.end(STAND_DOWN_LINE)
      const bound = new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())
      await Promise.race([exited, bound])
      // A guard that does not leave on its own is a defect; it must not act on a clean stop.
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    },
  }
}
