import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A log line of a running agent: the event's fields plus pino's `msg` and `eventTime`. */
export interface AgentLogLine {
  readonly kind: string
  readonly msg: string
  readonly eventTime: string
  readonly [field: string]: unknown
}

/** One `ipfo agent` child process whose JSON-lines log is parsed as it comes. */
export class AgentProcess {
  /** Every agent started and not yet reaped, so an interrupted demo can leave none behind. */
  static readonly live = new Set<AgentProcess>()

  static async killAll(): Promise<void> {
    await Promise.all([...AgentProcess.live].map((agent) => agent.kill()))
  }

  private child: ChildProcess | undefined
  private exited: Promise<number | null> = Promise.resolve(null)

  constructor(
    readonly node: string,
    private readonly command: readonly string[],
    private readonly onLine: (node: string, line: AgentLogLine) => void,
    private readonly onStderr: (node: string, text: string) => void,
  ) {}

  start(): void {
    const [cmd, ...args] = this.command
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    AgentProcess.live.add(this)
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        AgentProcess.live.delete(this)
        resolve(code)
      }),
    )
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        const line = JSON.parse(text) as AgentLogLine
        if (typeof line.kind === 'string') this.onLine(this.node, line)
      } catch {
        // oclif's own output (the --json result at exit) is not an event line.
      }
    })
    createInterface({ input: child.stderr! }).on('line', (text) => this.onStderr(this.node, text))
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Sends a signal (SIGHUP to reload, for instance). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal)
  }

  /** SIGKILL: the agent gets no chance to release anything, as in a crash or a power cut. */
  async kill(): Promise<void> {
    if (!this.running) return
    this.child?.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM, then SIGKILL if it has not stopped within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return
    this.child?.kill('SIGTERM')
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}
