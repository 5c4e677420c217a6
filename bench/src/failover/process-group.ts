import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { wallNow } from './wait.js'

export interface OutputLine {
  readonly text: string
  /** When the benchmark read the line (wall clock, ms). */
  readonly at: number
}

export interface ProcessGroupOptions {
  readonly env?: NodeJS.ProcessEnv
  /** Called for every stdout and stderr line; lines are also kept unless `keepLines` is false. */
  readonly onLine?: (line: OutputLine) => void
  readonly keepLines?: boolean
}

/**
 * A child started as the leader of its own process group, so that killing it kills what it forked
 * too (keepalived's VRRP child, a hook, an arping): a SIGKILL to the group is a node's death, with
 * no process left to send a last packet. Every group still running is killed when the benchmark
 * exits, however it exits.
 */
export class ProcessGroup {
  static readonly live = new Set<ProcessGroup>()
  /**
   * Process groups the benchmark did not start but froze (a dead node's guard, Daemons.freezeMachine):
   * stopped, they never exit on their own, so every way out of the benchmark kills them too.
   */
  static readonly frozen = new Set<number>()

  static killFrozen(): void {
    for (const pgid of ProcessGroup.frozen) {
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
    ProcessGroup.frozen.clear()
  }

  static async killAll(): Promise<void> {
    // First: a frozen guard holds its daemon's output open, and the daemon's group exits with it.
    ProcessGroup.killFrozen()
    await Promise.all([...ProcessGroup.live].map((group) => group.kill()))
  }

  readonly lines: OutputLine[] = []
  private readonly child: ChildProcess
  private readonly exited: Promise<void>

  constructor(
    readonly name: string,
    command: readonly string[],
    private readonly opts: ProcessGroupOptions = {},
  ) {
    const [cmd, ...args] = command
    this.child = spawn(cmd!, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    })
    ProcessGroup.live.add(this)
    this.exited = new Promise((resolve) => {
      this.child.once('close', () => {
        ProcessGroup.live.delete(this)
        resolve()
      })
      this.child.once('error', () => {
        ProcessGroup.live.delete(this)
        resolve()
      })
    })
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (text) => this.take({ text, at: wallNow() }))
    }
  }

  private take(line: OutputLine): void {
    if (this.opts.keepLines !== false) this.lines.push(line)
    this.opts.onLine?.(line)
  }

  /** The group leader's pid, which is also the group id. */
  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined
  }

  /** The first line after `since` that matches, if any. */
  lineAfter(pattern: RegExp, since: number): OutputLine | undefined {
    return this.lines.find((line) => line.at >= since && pattern.test(line.text))
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return
    try {
      process.kill(-this.child.pid, signal)
    } catch {
      // Already gone.
    }
  }

  /** SIGKILL to the whole group: nothing in it gets to clean up or say goodbye. */
  async kill(): Promise<void> {
    if (this.running) this.signal('SIGKILL')
    await this.exited
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (!this.running) return this.exited
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  /** Resolves when the process has exited. */
  wait(): Promise<void> {
    return this.exited
  }
}
