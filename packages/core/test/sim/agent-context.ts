import type { Scheduler } from './scheduler.js'

/**
 * One run (generation) of one node's agent, as its ports see it. An answer is an I/O event of
 * that generation: held while the node is paused, dropped if the agent crashed or stopped first.
 * A port of a generation that is over does nothing and never answers, as a killed process.
 */
export class AgentContext {
  constructor(
    readonly node: string,
    readonly gen: number,
    readonly scheduler: Scheduler,
    private readonly currentGen: () => number,
  ) {}

  get live(): boolean {
    return this.currentGen() === this.gen
  }

  /** Resolves with `answer()` after `ms` of true time (computed then, so it sees the world as it is). */
  after<T>(ms: number, answer: () => T): Promise<T> {
    if (!this.live) return new Promise<T>(() => undefined)
    return new Promise<T>((resolve, reject) => {
      this.scheduler.at(
        this.scheduler.now + ms,
        () => {
          try {
            resolve(answer())
          } catch (error) {
            reject(error)
          }
        },
        { node: this.node, gen: this.gen, phase: 'io' },
      )
    })
  }

  /** Runs `fn` for this generation at true time `at` (an I/O callback). */
  at(time: number, fn: () => void): void {
    this.scheduler.at(time, fn, { node: this.node, gen: this.gen, phase: 'io' })
  }
}
