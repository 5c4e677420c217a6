import type { Clock, TimerHandle } from '../../src/model/ports.js'
import type { FakeClock } from './fake-clock.js'

interface Handle {
  cancelled: boolean
  timer?: TimerHandle
}

/**
 * One node's view of a shared FakeClock that can be frozen on its own (a process stopped by a busy
 * host while its peers run). Frozen, its timers and after-I/O callbacks that come due wait. Thawed,
 * they run after what its sockets queued meanwhile has been read: Node 20's event loop, waking with
 * both readable sockets and overdue timers, runs the poll phase (and setImmediate) first.
 */
export class FreezableClock implements Clock {
  private frozen = false
  private waiting: (() => void)[] = []
  private inTimer = false
  private stallArmed: number | undefined

  constructor(private readonly base: FakeClock) {}

  now(): number {
    return this.base.now()
  }

  wallNow(): number {
    return this.base.wallNow()
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: Handle = { cancelled: false }
    handle.timer = this.base.setTimeout(() => this.run(handle, fn), ms)
    return handle
  }

  clearTimeout(handle: TimerHandle): void {
    const h = handle as Handle
    h.cancelled = true
    if (h.timer) this.base.clearTimeout(h.timer)
  }

  afterIo(fn: () => void): void {
    const stall = this.inTimer ? this.stallArmed : undefined
    if (stall !== undefined) {
      this.stallArmed = undefined
      this.base.afterIo(() => {
        this.base.jump(stall)
        fn()
      })
    } else if (this.frozen) this.waiting.push(fn)
    else this.base.afterIo(fn)
  }

  /**
   * The next after-I/O callback a timer of this node queues runs only after the whole machine has
   * stopped for `ms`: the process was not run between its timer phase and its check phase.
   */
  stallAfterNextTimer(ms: number): void {
    this.stallArmed = ms
  }

  freeze(): void {
    this.frozen = true
  }

  /**
   * Resumes the node: `readSockets` hands it what its sockets queued (their delivery is queued with
   * afterIo), and the timers that fell due while it was frozen run after that delivery.
   */
  thaw(readSockets: () => void): void {
    this.frozen = false
    readSockets()
    const waiting = this.waiting
    this.waiting = []
    this.base.afterIo(() => {
      for (const fn of waiting) fn()
    })
  }

  private run(handle: Handle, fn: () => void): void {
    if (handle.cancelled) return
    if (this.frozen) {
      this.waiting.push(() => this.run(handle, fn))
      return
    }
    this.inTimer = true
    try {
      fn()
    } finally {
      this.inTimer = false
    }
  }
}
