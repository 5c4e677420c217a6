import type { ConfigInput } from '@ipfo/core'

type Roles = Pick<ConfigInput, 'owns' | 'takers' | 'peers'>
type Address = NonNullable<ConfigInput['owns']>[number]

/** The demo's nodes: a owns the VIP, b (then c) take it over in that order. */
export const PAIR = ['a', 'b'] as const
export const TRIO = ['a', 'b', 'c'] as const

/**
 * Who owns the VIP and who takes it over, as `node`'s config says it: `nodes[0]` owns `address` and
 * the others take it over in order. Every node lists every other (full mesh). A pair keeps the
 * config it always had (no `takers`: b alone takes a's address over); from three nodes on, the
 * order is spelt out (`takers: [b, c]`), on the owner too so that it checks the takers agree.
 */
export function nodeRoles<N extends string>(node: N, nodes: readonly N[], address: Address): Roles {
  const [owner, ...takers] = nodes
  const others = nodes.filter((n) => n !== node)
  const ordered = takers.length > 1
  if (node === owner) {
    return {
      owns: [address],
      ...(ordered ? { takers } : {}),
      peers: others.map((id) => ({ id })),
    }
  }
  return {
    owns: [],
    peers: others.map((id) =>
      id === owner ? { id, takeover: [address], ...(ordered ? { takers } : {}) } : { id, takeover: [] },
    ),
  }
}
