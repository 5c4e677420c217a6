import { join } from 'node:path'
import { getHeapCodeStatistics, writeHeapSnapshot } from 'node:v8'
import type { HeapAfterGc } from './control-protocol.js'

/**
 * A full collection, then the heap: what a leak check compares, live objects only, where `status`
 * shows whatever garbage the last collection left (as much again as the live heap, at times). With
 * `snapshotDir`, also a heap snapshot there, to tell what grew.
 *
 * Only for an agent started with `node --expose-gc`, which nothing ipfo installs does: the
 * collection holds the event loop, heartbeats included, for tens of ms (a snapshot, for seconds),
 * past a short deadAfter. Throws, with the reason, otherwise.
 */
export function heapAfterGc(snapshotDir?: string): HeapAfterGc {
  const gc = (globalThis as { gc?: () => void }).gc
  if (typeof gc !== 'function')
    throw new Error('gc is a debugging aid: start the agent with node --expose-gc')
  gc()
  const code = getHeapCodeStatistics()
  const heap: HeapAfterGc = {
    pid: process.pid,
    heapUsedBytes: process.memoryUsage().heapUsed,
    codeBytes: code.code_and_metadata_size + code.bytecode_and_metadata_size,
  }
  if (snapshotDir === undefined) return heap
  // Node writes it with mode 0600: it holds the heartbeat key.
  const file = join(snapshotDir, `ipfo-${process.pid}-${Date.now()}.heapsnapshot`)
  return { ...heap, snapshot: writeHeapSnapshot(file) }
}
