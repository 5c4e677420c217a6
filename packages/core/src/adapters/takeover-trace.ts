import { appendFile } from 'node:fs/promises'
import type { TakeoverStep, TakeoverTrace } from '../model/ports.js'

/** One acquire's path (a takeover, a claim of the node's own addresses, a failback), a line of the file. */
export interface TracedTakeover {
  readonly node: string
  /** When the turn that decided began: wall-clock milliseconds, with fractions. */
  readonly at: number
  /** Each step's first mark, in milliseconds from the start of that turn. */
  readonly steps: Partial<Record<TakeoverStep, number>>
}

/** How long a takeover's marks are gathered when no gratuitous ARP comes (IPv6, hooks that wait). */
const GATHER_MS = 2_000

/**
 * A trace of acquires written to `file`, a JSON line each (TracedTakeover), for `npm run
 * bench:takeover-path`. Each step keeps its first mark; a decision while one is gathered is part of
 * it. The line is written once the gratuitous ARP sent with the add is handed over (`frame`), or
 * GATHER_MS after the decision when none is (IPv6, `ip` without `-batch`, no `socat`), in a later
 * turn: the file is never written on the takeover's path.
 */
export function fileTakeoverTrace(
  file: string,
  node: string,
  onError: (message: string) => void,
  gatherMs = GATHER_MS,
): TakeoverTrace {
  let turnStart = 0
  let open: { start: number; steps: Partial<Record<TakeoverStep, number>> } | undefined
  let timer: NodeJS.Timeout | undefined
  const close = () => {
    if (!open) return
    // The wall clock now, less the monotonic time since the turn began: right after a clock step too.
    const line: TracedTakeover = {
      node,
      at: Date.now() - (performance.now() - open.start),
      steps: open.steps,
    }
    open = undefined
    clearTimeout(timer)
    setImmediate(() => {
      appendFile(file, `${JSON.stringify(line)}\n`).catch((error: Error) =>
        onError(`writing the takeover trace to ${file}: ${error.message}`),
      )
    })
  }
  return {
    turn() {
      turnStart = performance.now()
    },
    mark(step) {
      const at = performance.now()
      if (!open) {
        if (step !== 'decided') return
        open = { start: turnStart, steps: {} }
        timer = setTimeout(close, gatherMs)
        timer.unref()
      }
      if (open.steps[step] !== undefined) return
      open.steps[step] = at - open.start
      if (step === 'frame') close()
    },
  }
}
