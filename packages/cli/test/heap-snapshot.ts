import { readFile } from 'node:fs/promises'

/** Bytes and count of one kind of object in a heap snapshot. */
export interface Tally {
  count: number
  bytes: number
}

/**
 * Kinds of node that are the program's data: objects (by constructor), closures (by function),
 * strings, arrays' elements, numbers and Buffers' bytes (`native`). Left out: V8's compiled code and
 * its metadata (`code`), object shapes and internal lists (`hidden`, `object shape`): they grow for
 * hundreds of failovers while V8 optimises the failover path, and are no leak.
 */
const DATA_TYPES = new Set([
  'object',
  'closure',
  'array',
  'string',
  'concatenated string',
  'sliced string',
  'regexp',
  'number',
  'native',
  'symbol',
  'bigint',
])
const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string'])

/** Tallies a V8 heap snapshot file (as v8.writeHeapSnapshot writes it) by kind of data. */
export async function tallyHeapSnapshot(file: string): Promise<Map<string, Tally>> {
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
    nodes: number[]
    strings: string[]
  }
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ]
  const tallies = new Map<string, Tally>()
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const kind = types[snapshot.nodes[i + type]!]!
    if (!DATA_TYPES.has(kind)) continue
    // A string's name is its text: all strings are one kind.
    const key = STRING_TYPES.has(kind) ? 'strings' : `${kind} ${snapshot.strings[snapshot.nodes[i + name]!]}`
    const tally = tallies.get(key) ?? { count: 0, bytes: 0 }
    tally.count++
    tally.bytes += snapshot.nodes[i + size]!
    tallies.set(key, tally)
  }
  return tallies
}

/** The total growth in bytes from `before` to `after`, and the kinds that grew most, largest first. */
export function heapGrowth(
  before: ReadonlyMap<string, Tally>,
  after: ReadonlyMap<string, Tally>,
): { bytes: number; top: string[] } {
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((kind) => {
    const [b, a] = [before.get(kind), after.get(kind)]
    return { kind, count: (a?.count ?? 0) - (b?.count ?? 0), bytes: (a?.bytes ?? 0) - (b?.bytes ?? 0) }
  })
  rows.sort((x, y) => y.bytes - x.bytes)
  return {
    bytes: rows.reduce((sum, r) => sum + r.bytes, 0),
    top: rows
      .filter((r) => r.bytes > 0)
      .slice(0, 5)
      .map((r) => `${r.kind} +${r.bytes} B (${r.count >= 0 ? '+' : ''}${r.count})`),
  }
}
