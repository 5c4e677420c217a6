import type { Clock, TimerHandle } from '../../src/model/ports.js'
import type { SimEvent } from './event-queue.js'
import type { Scheduler } from './scheduler.js'

/** 2026-11-25 12:00 UTC: wall clocks start here (plus each node's offset). */
const EPOCH = Date.UTC(2026, 10, 25, 12, 0, 0)

/**
 * One node's view of time: its monotonic and wall clocks run at `rate` against true time (clock
 * skew), its timers are events of its own generation, and `afterIo` runs after what is already
 * queued for this instant (packets delivered at the same moment), as setImmediate does.
 */
export class NodeClock {
  private monoBase = 1_000
  private monoSince = 0

  constructor(
    private readonly scheduler: Scheduler,
    readonly node: string,
    readonly rate: number,
    private readonly wallOffsetMs: number,
  ) {}

  /** Whole milliseconds, as the real clock gives them (node/system-clock.ts). */
  now(): number {
    return Math.round(this.monoBase + (this.scheduler.now - this.monoSince) * this.rate)
  }

  wallNow(): number {
    return Math.floor(EPOCH + this.wallOffsetMs + this.scheduler.now * this.rate)
  }

  /** A machine reset: the monotonic clock starts again from boot (the wall clock goes on). */
  reboot(): void {
    this.monoBase = 1_000
    this.monoSince = this.scheduler.now
  }

  /** The Clock port for one generation of this node's agent. */
  port(gen: number): Clock {
    const { scheduler, node } = this
    return {
      now: () => this.now(),
      wallNow: () => this.wallNow(),
      setTimeout: (fn, ms) =>
        scheduler.at(scheduler.now + Math.max(0, ms) / this.rate, fn, { node, gen, phase: 'timer' }),
      clearTimeout: (handle: TimerHandle) => {
        ;(handle as SimEvent).cancelled = true
      },
      afterIo: (fn) => {
        scheduler.at(scheduler.now, fn, { node, gen, phase: 'io' })
      },
    }
  }
}
