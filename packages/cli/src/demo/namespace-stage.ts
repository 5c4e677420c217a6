import type { Topology } from '@ipfo/core/netns'
import { AGENT_NODE_FLAGS, IPFO_BIN } from '../service/agent-command.js'
import { nodeRoles, PAIR } from './node-roles.js'
import type { ProbeHandle, Stage } from './stage.js'
import { udpProbe } from './udp-probe.js'

export interface NamespaceStageOptions<N extends string = 'a' | 'b'> {
  /** The nodes, the VIP's owner first, then its takers (see `nodeRoles`); default a and b. */
  readonly nodes?: readonly N[]
  readonly ipv6?: boolean
  readonly interval?: string
  readonly deadAfter?: string
  /** Client probe period in ms. */
  readonly probeEveryMs?: number
  /** Where the agents look for socat, arping and na6; default: the PATH variable. */
  readonly path?: string
  /** Node.js flags for the agents besides AGENT_NODE_FLAGS (`--expose-gc` for a leak check). */
  readonly nodeFlags?: readonly string[]
}

/**
 * The client's neighbour cache when no node can announce a move (neither socat nor arping): the
 * entry for the VIP goes stale after about 100 ms and is checked again at once, so the client finds
 * the new holder within a second rather than the half minute of the kernel's defaults.
 */
const QUICK_NEIGHBOUR_CHECKS = [
  'net.ipv4.neigh.pub0.base_reachable_time_ms=100',
  'net.ipv4.neigh.pub0.delay_first_probe_time=0',
  'net.ipv4.neigh.pub0.retrans_time_ms=50',
]

/** How the stage's description counts its nodes. */
const COUNT = ['no', 'one', 'two', 'three', 'four', 'five']

/** How to run `ipfo agent` with `args` in `node`'s namespace, with the installed agent's Node.js flags. */
export function namespaceAgentCommand(
  topology: Topology,
  node: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): string[] {
  return [
    'ip',
    'netns',
    'exec',
    topology.node(node).ns,
    process.execPath,
    ...AGENT_NODE_FLAGS,
    ...nodeFlags,
    IPFO_BIN,
    'agent',
    ...args,
  ]
}

/**
 * Real network namespaces: the nodes (a and b, or as many as `nodes`) on a bridged public network
 * and a private heartbeat network, plus a client. The VIP lives on `pub0`; "killing" a node is
 * kill -9 of its agent and pulling both its cables, as when a machine dies.
 */
export async function namespaceStage<N extends string = 'a' | 'b'>(
  opts: NamespaceStageOptions<N> = {},
): Promise<Stage<N> & { topology: Topology }> {
  // Without `nodes`, N is its default, 'a' | 'b'.
  const nodes = opts.nodes ?? (PAIR as readonly string[] as readonly N[])
  const { createTopology } = await import('@ipfo/core/netns')
  const { onPath } = await import('@ipfo/core/agent')
  const family = opts.ipv6 ? 6 : 4
  const has = onPath(opts.path ?? process.env.PATH)
  const announcer = family === 4 ? ['socat', 'arping'].find(has) : ['na6'].find(has)
  const topology = await createTopology({ nodes, withClient: true, ipv6: opts.ipv6 ?? false })
  const probes: ProbeHandle[] = []
  try {
    if (!announcer && family === 4) {
      const set = await topology.exec(topology.client!.ns, 'sysctl', ['-q', '-w', ...QUICK_NEIGHBOUR_CHECKS])
      if (set.exitCode !== 0) throw new Error(`sysctl in the client's namespace failed: ${set.stderr.trim()}`)
    }
  } catch (error) {
    await topology.destroy()
    throw error
  }
  const vipIp = topology.address('public', family, 50)
  const vip = `${vipIp}/${topology.prefixLength[family]}`
  const holds = async (node: string) => {
    const result = await topology.exec(topology.node(node).ns, 'ip', ['-j', 'addr', 'show', 'dev', 'pub0'])
    return result.stdout.includes(`"${vipIp}"`)
  }
  return {
    topology,
    mode: 'namespaces',
    description: `network namespaces ${topology.id}-* (${COUNT[nodes.length] ?? nodes.length} nodes, a switch, a client; real ip${announcer ? ` and ${announcer}` : ''})`,
    ...(announcer
      ? {}
      : {
          caveat: `${family === 4 ? 'neither socat nor arping' : 'na6'} is installed, so the nodes cannot announce a move: the client's neighbour cache is set to check the VIP's address every 100 ms (a real client may take 30 s or more; apt-get install ${family === 4 ? 'socat iputils-arping' : 'ipv6toolkit'})`,
        }),
    vip,
    nodes,
    config(node) {
      const peers = nodes.filter((n) => n !== node).map((n) => topology.node(n))
      const target = (i: { ipv4: string; ipv6: string | undefined }) => (family === 6 ? i.ipv6! : i.ipv4)
      return {
        interval: opts.interval ?? '100ms',
        deadAfter: opts.deadAfter ?? '300ms',
        links: [
          { name: 'private', targets: peers.map((peer) => target(peer.private!)) },
          { name: 'public', targets: peers.map((peer) => target(peer.public)) },
        ],
        ...nodeRoles(node, nodes, { interface: 'pub0', address: vip }),
      }
    },
    agentCommand(node, args) {
      return namespaceAgentCommand(topology, node, args, opts.nodeFlags)
    },
    async isolate(node) {
      await topology.linkDown(node, 'public')
      await topology.linkDown(node, 'private')
    },
    async revive(node) {
      await topology.exec(topology.node(node).ns, 'ip', ['addr', 'del', vip, 'dev', 'pub0'])
      await topology.linkUp(node, 'public')
      await topology.linkUp(node, 'private')
    },
    async holders(among = nodes) {
      // One after the other, a first: in a failback (b to a) a look that shows both is then proof
      // that both held it at once, where two reads at once could each catch a different moment.
      const out: string[] = []
      for (const node of nodes.filter((n) => among.includes(n))) if (await holds(node)) out.push(node)
      return out
    },
    async startProbe(everyMs) {
      const namespaces = Object.fromEntries(nodes.map((node) => [node, topology.node(node).ns]))
      const probe = await udpProbe(namespaces, topology.client!.ns, vipIp, everyMs ?? opts.probeEveryMs ?? 2)
      probes.push(probe)
      return probe
    },
    async destroy() {
      // Deleting a namespace stops none of the processes in it.
      await Promise.all(probes.map((p) => p.abort()))
      await topology.destroy()
    },
  }
}
