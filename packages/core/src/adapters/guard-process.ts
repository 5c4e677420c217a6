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
  /** The guard program: `ipfo`'s guard entry, run by this Node. */
  readonly command: string
  readonly args: readonly string[]
  readonly hello: Omit<GuardHello, 't'>
  readonly report: (event: EventBody) => void
  /** Wait before starting a guard that died again (default 1 s): a guard that cannot live is not forked in a loop. */
  readonly restartDelayMs?: number
}

/** Words are dropped rather than queued past this: a stopped guard must not grow the agent's memory. */
const MAX_QUEUED_BYTES = 64 * 1024

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

  const write = (line: string, droppable: boolean) => {
    const stdin = child?.stdin
    if (!stdin || stdin.destroyed) return
    if (droppable && stdin.writableLength > MAX_QUEUED_BYTES) return
    stdin.write(line)
  }

  function start(): void {
    const proc = spawn(opts.command, [...opts.args], {
      stdio: ['pipe', 'inherit', 'inherit'],
      detached: true,
    })
    child = proc
    proc.stdin?.on('error', () => {})
    proc.on('error', (error) => {
      opts.report({ kind: 'error', message: error.message, context: 'starting the guard' })
    })
    proc.once('exit', (code, signal) => {
      if (child === proc) child = undefined
      if (standingDown) return
      opts.report({ kind: 'guard-died', pid: proc.pid ?? null, exitCode: code, signal })
      restarts++
      restartTimer = setTimeout(start, restarts === 1 ? 0 : (opts.restartDelayMs ?? 1_000))
      restartTimer.unref()
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
      write(briefLine(next), false)
    },
    lastWord(next) {
      words = next
      write(wordLine(next), true)
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
