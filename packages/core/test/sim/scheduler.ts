import { EventQueue, type SimEvent } from './event-queue.js'

/**
 * More events than this at one simulated instant means the engines loop without time passing
 * (nothing in a healthy run comes near: a few dozen at most).
 */
const LIVELOCK_EVENTS = 5_000

/**
 * One global queue of events in true (simulated) time, run one at a time. Between two events the
 * promise continuations the last one started (an engine awaiting a fake port) run to the end, so
 * every await settles at the simulated instant it belongs to. No real timer, socket or file is used.
 */
export class Scheduler {
  private readonly queue = new EventQueue()
  private seq = 0
  private current = 0
  private readonly paused = new Map<string, SimEvent[]>()
  eventsRun = 0
  /** Set when time stopped moving: more than `LIVELOCK_EVENTS` events ran at one instant. */
  livelockAt: number | undefined
  private atThisInstant = 0

  get now(): number {
    return this.current
  }

  at(
    time: number,
    fn: () => void,
    opts: { node?: string; gen?: number; phase?: SimEvent['phase'] } = {},
  ): SimEvent {
    const event: SimEvent = {
      at: Math.max(time, this.current),
      seq: this.seq++,
      fn,
      phase: opts.phase ?? 'world',
      ...(opts.node === undefined ? {} : { node: opts.node }),
      ...(opts.gen === undefined ? {} : { gen: opts.gen }),
    }
    this.queue.push(event)
    return event
  }

  isPaused(node: string): boolean {
    return this.paused.has(node)
  }

  pause(node: string): void {
    if (!this.paused.has(node)) this.paused.set(node, [])
  }

  /** Runs what the node missed while paused, now: its late timers first, then its queued I/O. */
  resume(node: string): void {
    const held = this.paused.get(node)
    if (!held) return
    this.paused.delete(node)
    const timers = held.filter((e) => e.phase === 'timer')
    const io = held.filter((e) => e.phase !== 'timer')
    for (const e of [...timers, ...io]) {
      if (e.cancelled) continue
      // The same object: a timer handle cleared after the resume must still cancel it.
      e.at = this.current
      e.seq = this.seq++
      this.queue.push(e)
    }
  }

  /**
   * Runs events up to and including `until` (or until `stop` says so), then leaves time at `until`.
   * `isCurrent` tells whether an event's generation is still its node's.
   */
  async run(opts: {
    until: number
    isCurrent: (node: string, gen: number) => boolean
    afterEach: () => void
    stop: () => boolean
  }): Promise<void> {
    for (;;) {
      const next = this.queue.peek()
      if (next === undefined || next.at > opts.until || opts.stop()) break
      this.queue.pop()
      if (next.cancelled) continue
      this.atThisInstant = next.at === this.current ? this.atThisInstant + 1 : 0
      if (this.atThisInstant > LIVELOCK_EVENTS) {
        this.livelockAt = next.at
        break
      }
      this.current = next.at
      if (next.node !== undefined) {
        if (next.gen !== undefined && !opts.isCurrent(next.node, next.gen)) continue
        const held = this.paused.get(next.node)
        if (held && next.phase !== 'world') {
          held.push(next)
          continue
        }
      }
      this.eventsRun++
      next.fn()
      await this.settle()
      opts.afterEach()
    }
    if (!opts.stop() && this.livelockAt === undefined) this.current = Math.max(this.current, opts.until)
  }

  /**
   * Lets pending promise continuations run. One macrotask turn drains the whole microtask queue,
   * and nothing in a scenario waits on real I/O, so one turn is enough. It costs a few percent of
   * a run: not worth guessing which events left no continuation behind.
   */
  async settle(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}
