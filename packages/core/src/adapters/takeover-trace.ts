import { appendFile } from 'node:fs/promises'
import type { TakeoverStep, TakeoverTrace } from '../model/ports.js'

/** One takeover's path, as a line of the trace file. */
export interface TracedTakeover {
  readonly node: string
  /** When the turn that decided began: wall-clock milliseconds, to the microsecond. */
  readonly at: number
  /** Each step's first mark, in milliseconds from the start of that turn. */
  readonly steps: Partial<Record<TakeoverStep, number>>
}

/** How long a takeover's marks are gathered when no gratuitous ARP comes (IPv6, hooks that wait). */
const GATHER_MS = 2_000

/**
 * A takeover trace written to `file`, a JSON line a takeover (TracedTakeover), for `npm run
 * bench:takeover-path`. Each step keeps its first mark; a decision while one is gathered is part of
 * it. The line is written once the first gratuitous ARP is handed over, or GATHER_MS after the
 * decision, in a later turn: the file is never written on the takeover's path.
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
    const line: TracedTakeover = { node, at: performance.timeOrigin + open.start, steps: open.steps }
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
