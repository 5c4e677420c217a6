import { createTopology, type Topology } from '@ipfo/core/netns'

export type NodeName = 'a' | 'b' | 'c'
/** Every node name, in the order of preference: a owns the VIP, b takes it first, c after b. */
export const ALL_NODES: readonly NodeName[] = ['a', 'b', 'c']
/** The topologies: a pair (the default), or three nodes that take the VIP in turn (issue 20). */
export type TopologyName = 'pair' | 'three'
export const TOPOLOGY_NODES: Readonly<Record<TopologyName, readonly NodeName[]>> = {
  pair: ['a', 'b'],
  three: ['a', 'b', 'c'],
}

/** The names (and namespace suffixes) of the etcd members of a quorum stage. */
export const ETCD_MEMBERS = ['e0', 'e1', 'e2'] as const

/** An etcd member's place: a namespace of its own on the private network. */
export interface EtcdPlace {
  readonly name: string
  readonly ns: string
  readonly ip: string
}

/**
 * The ground every system runs on: @ipfo/core's namespaces (a switch with a public and a private
 * bridge, the nodes (a and b, or a, b and c) on both, a client on the public one) and one VIP on the
 * public network, which a owns. With `etcd`, three more namespaces on the private network for the
 * members of an etcd cluster (ETCD_MEMBERS; quorum settings).
 * Namespace names carry the benchmark's pid and a random suffix; `destroy` deletes them all.
 */
export interface Stage {
  readonly topology: Topology
  /** The nodes, a first (see ALL_NODES). */
  readonly nodes: readonly NodeName[]
  /** Where the etcd members run (quorum settings; none otherwise). */
  readonly etcd: readonly EtcdPlace[]
  /** The VIP without its prefix, e.g. "10.213.1.50". */
  readonly vip: string
  readonly prefixLength: number
  /** The public network's broadcast address, where the client's "who holds it" probes go. */
  readonly broadcast: string
  ns(node: NodeName | 'client'): string
  publicIp(node: NodeName): string
  privateIp(node: NodeName): string
  mac(node: NodeName): string
  /** Pulls both of the node's cables at the switch (the node sees no carrier). */
  cut(node: NodeName): Promise<void>
  reconnect(node: NodeName): Promise<void>
  /** Removes the VIP from the node, as a reboot would. */
  dropVip(node: NodeName): Promise<void>
  /** The nodes with the VIP on their public interface, read from the kernel. */
  holders(): Promise<NodeName[]>
  destroy(): Promise<void>
}

export async function createStage(
  nodes: readonly NodeName[] = TOPOLOGY_NODES.pair,
  opts: { readonly etcd?: boolean } = {},
): Promise<Stage> {
  const topology = await createTopology({
    nodes,
    withClient: true,
    prefix: 'ipfob',
    ...(opts.etcd ? { services: ETCD_MEMBERS } : {}),
  })
  const vip = topology.address('public', 4, 50)
  const prefixLength = topology.prefixLength[4]
  const node = (name: NodeName) => topology.node(name)
  const holds = async (name: NodeName) => {
    const result = await topology.exec(node(name).ns, 'ip', ['-j', 'addr', 'show', 'dev', 'pub0'])
    return result.stdout.includes(`"${vip}"`)
  }
  return {
    topology,
    nodes,
    etcd: topology.services.map((s) => ({ name: s.name, ns: s.ns, ip: s.ipv4 })),
    vip,
    prefixLength,
    broadcast: topology.address('public', 4, 255),
    ns: (name) => topology.node(name).ns,
    publicIp: (name) => node(name).public.ipv4,
    privateIp: (name) => node(name).private!.ipv4,
    mac: (name) => node(name).public.mac,
    cut: (name) => topology.unplug(name),
    reconnect: (name) => topology.plug(name),
    async dropVip(name) {
      await topology.exec(node(name).ns, 'ip', ['addr', 'del', `${vip}/${prefixLength}`, 'dev', 'pub0'])
    },
    async holders() {
      const held = await Promise.all(nodes.map(holds))
      return nodes.filter((_, i) => held[i])
    },
    destroy: () => topology.destroy(),
  }
}
