import type { Clock, TimerHandle } from '../../src/model/ports.js'

interface Timer {
  at: number
  seq: number
  fn: () => void
}

/** Lets pending promise callbacks (checklists awaiting fake ports) run. */
export async function flushPromises(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * A clock that moves only when told. Timers fire in time order; `afterIo` callbacks run right after
 * the timer that queued them, as they would once pending I/O has drained.
 */
export class FakeClock implements Clock {
  private current: number
  private seq = 0
  private timers: Timer[] = []
  private immediates: (() => void)[] = []
  readonly epoch: number

  constructor(start = 1_000, epoch = Date.UTC(2026, 10, 25, 12, 0, 0)) {
    this.current = start
    this.epoch = epoch
  }

  now(): number {
    return this.current
  }

  wallNow(): number {
    return this.epoch + this.current
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.push(timer)
    return timer
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== handle)
  }

  afterIo(fn: () => void): void {
    this.immediates.push(fn)
  }

  pending(): number {
    return this.timers.length
  }

  /** Moves time forward by `ms` at once, firing nothing: as if the current code took that long. */
  jump(ms: number): void {
    this.current += ms
  }

  /** Moves time forward by `ms`, firing every timer due on the way and letting promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms
    for (;;) {
      await this.runImmediates()
      const next = this.nextTimer()
      if (!next || next.at > end) break
      this.timers = this.timers.filter((t) => t !== next)
      // A timer overdue after a jump fires late, at the current time: time never runs backwards.
      this.current = Math.max(this.current, next.at)
      next.fn()
      await flushPromises()
    }
    this.current = end
    await this.runImmediates()
  }

  private async runImmediates(): Promise<void> {
    while (this.immediates.length > 0) {
      const batch = this.immediates
      this.immediates = []
      for (const fn of batch) fn()
      await flushPromises()
    }
  }

  private nextTimer(): Timer | undefined {
    let best: Timer | undefined
    for (const t of this.timers)
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    return best
  }
}
