import type { ReplayGuard } from '../heartbeat/replay-guard.js'
import type { Clock, ReplayStore } from '../model/ports.js'
import { type Emit, reportError } from './event-stream.js'

/** Replay marks are saved at most this often (and at stop). */
const SAVE_EVERY_MS = 1_000

/**
 * Keeps the replay guard's marks between runs, so a restarted agent does not accept a recorded
 * packet: loaded at start, saved at most once a second while packets arrive, and at stop.
 */
export function replayMarks(guard: ReplayGuard, store: ReplayStore | undefined, clock: Clock, emit: Emit) {
  let savedAt = Number.NEGATIVE_INFINITY
  let dirty = false
  const save = (force = false): Promise<void> | undefined => {
    if (!store || !dirty) return undefined
    const now = clock.now()
    if (!force && now - savedAt < SAVE_EVERY_MS) return undefined
    savedAt = now
    dirty = false
    return store.save(guard.snapshot()).catch(reportError(emit, 'saving replay marks'))
  }
  return {
    async load(): Promise<void> {
      const saved = await store?.load().catch(() => undefined)
      if (saved) guard.restore(saved)
    },
    /** A packet was accepted: the marks changed. */
    touched(): void {
      dirty = true
    },
    save,
    /** At stop: the last marks saved, then the store closed. */
    async close(): Promise<void> {
      await save(true)
      await store?.close?.().catch(reportError(emit, 'closing the replay marks'))
    },
  }
}
