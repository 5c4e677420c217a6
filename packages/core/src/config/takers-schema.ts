import { z } from 'zod'

/**
 * The order of takers (issue 20): who takes an owner's addresses over, first to last. A group's order
 * is its owner, then its takers; among the live, fit nodes of the order, the first holds the
 * addresses (state-machine/order.ts). Every node of an order must be configured on every other
 * (heartbeats go full mesh), and every node must agree on it: each heartbeat carries the node's
 * view, and a disagreement is an `order-mismatch` event and a `doctor` failure.
 */

const NODE_ID = /^[a-z0-9][a-z0-9._-]{0,31}$/

/** The most takers an order may list (a heartbeat carries at most 16 per order). */
export const MAX_TAKERS = 16

const takerList = (description: string) =>
  z
    .array(z.string().regex(NODE_ID, 'a node id: 1-32 lower-case letters, digits, ".", "_" or "-"'))
    .min(1)
    .max(MAX_TAKERS)
    .optional()
    .describe(description)

/** Top-level `takers`: the order of this node's own addresses after it. */
export const ownTakersSchema = takerList(
  'The nodes that take this node\'s own addresses ("owns") over when it fails, first to last, e.g. [b, c]: among the live, fit nodes, the first holds them. Optional: each taker lists the same order under its peer entry for this node, and this node then checks that it agrees. Every node named here must be in "peers".',
)

/** `peers[].takers`: the order of that peer's addresses after it. */
export const peerTakersSchema = takerList(
  'The nodes that take this peer\'s addresses over, first to last, this node among them when "takeover" lists addresses, e.g. [b, c]. The same list on every node. Default: this node alone (a pair). Every node named here must be this node or in "peers".',
)

interface TakersInput {
  readonly node: string
  readonly takers?: readonly string[] | undefined
  readonly peers: readonly {
    readonly id: string
    readonly takeover: readonly unknown[]
    readonly takers?: readonly string[] | undefined
  }[]
}

/** What is wrong with the config's orders, with where and how to fix it. */
export function takerIssues(config: TakersInput): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = []
  const peerIds = config.peers.map((p) => p.id)
  const check = (owner: string, list: readonly string[], path: (string | number)[]) => {
    list.forEach((id, i) => {
      if (id === owner) {
        out.push({
          path: [...path, i],
          message: `"${id}" owns these addresses; its takers come after it, so leave it out`,
        })
      } else if (list.indexOf(id) !== i) {
        out.push({ path: [...path, i], message: `"${id}" is listed twice; list each taker once` })
      } else if (id !== config.node && !peerIds.includes(id)) {
        out.push({
          path: [...path, i],
          message: `"${id}" is not in "peers": every node of an order must hear every other, so add { id: ${id} } to "peers" (with "takeover: []" if it takes nothing from this node)`,
        })
      }
    })
  }
  if (config.takers) check(config.node, config.takers, ['takers'])
  config.peers.forEach((peer, p) => {
    const list = peer.takers
    if (!list) return
    const path = ['peers', p, 'takers']
    check(peer.id, list, path)
    const takes = peer.takeover.length > 0
    if (takes && !list.includes(config.node)) {
      out.push({
        path,
        message: `this node ("${config.node}") takes ${peer.id}'s addresses over ("takeover" lists them) but is not among its takers: add "${config.node}" where it stands in the order`,
      })
    } else if (!takes && list.includes(config.node)) {
      out.push({
        path,
        message: `this node ("${config.node}") is among ${peer.id}'s takers but "takeover" lists none of its addresses: list them under "takeover", or take "${config.node}" out of the takers`,
      })
    }
  })
  return out
}

/** A peer's order after it, as this node knows it: the configured list, or this node alone when it takes over and none is given. */
export function peerTakers(
  node: string,
  peer: { takeover: readonly unknown[]; takers?: readonly string[] | undefined },
): string[] {
  if (peer.takers) return [...peer.takers]
  return peer.takeover.length > 0 ? [node] : []
}
