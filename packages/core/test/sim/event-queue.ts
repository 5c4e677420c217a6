/** What a simulated moment runs. */
export interface SimEvent {
  /** Moved (with a new seq) when a paused node resumes; the handle stays the same object. */
  at: number
  /** Ties at one instant run in the order they were scheduled. */
  seq: number
  readonly fn: () => void
  /**
   * The node whose process runs it (its timers, its socket, the answers of its ports): held back
   * while that node is paused. Absent: the world's own (a fault, a kernel's address change).
   */
  readonly node?: string
  /** Dropped unless the node's agent is still this generation (a crash or stop ends one). */
  readonly gen?: number
  /** Timers run before I/O when a paused node resumes, as in Node's event loop. */
  readonly phase: 'timer' | 'io' | 'world'
  cancelled?: boolean
}

/** A binary min-heap of events by (at, seq). */
export class EventQueue {
  private readonly heap: SimEvent[] = []

  get size(): number {
    return this.heap.length
  }

  peek(): SimEvent | undefined {
    return this.heap[0]
  }

  push(event: SimEvent): void {
    const heap = this.heap
    heap.push(event)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(event, heap[parent]!)) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = event
  }

  pop(): SimEvent | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, last)) break
      heap[i] = heap[child]!
      i = child
    }
    heap[i] = last
    return top
  }
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq)
}
