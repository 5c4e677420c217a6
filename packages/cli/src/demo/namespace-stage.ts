import type { Topology } from '@ipfo/core/testing'
import { AGENT_NODE_FLAGS, IPFO_BIN } from './agent-process.js'
import { pingProbe } from './ping-probe.js'
import type { Stage } from './stage.js'

export interface NamespaceStageOptions {
  readonly ipv6?: boolean
  readonly interval?: string
  readonly deadAfter?: string
  /** Client probe period in ms. */
  readonly probeEveryMs?: number
  /** Node.js flags for the agents besides AGENT_NODE_FLAGS (`--expose-gc` for a leak check). */
  readonly nodeFlags?: readonly string[]
}

/**
 * Real network namespaces: nodes a and b on a bridged public network and a private heartbeat
 * network, plus a client. The VIP lives on `pub0`; "killing" a node is kill -9 of its agent and
 * pulling both its cables, as when a machine dies.
 */
export async function namespaceStage(
  opts: NamespaceStageOptions = {},
): Promise<Stage & { topology: Topology }> {
  const { createTopology } = await import('@ipfo/core/testing')
  const family = opts.ipv6 ? 6 : 4
  const topology = await createTopology({ nodes: ['a', 'b'], withClient: true, ipv6: opts.ipv6 ?? false })
  const vipIp = topology.address('public', family, 50)
  const vip = `${vipIp}/${topology.prefixLength[family]}`
  const peerOf = (node: 'a' | 'b') => (node === 'a' ? 'b' : 'a')
  const holds = async (node: string) => {
    const result = await topology.exec(topology.node(node).ns, 'ip', ['-j', 'addr', 'show', 'dev', 'pub0'])
    return result.stdout.includes(`"${vipIp}"`)
  }
  return {
    topology,
    mode: 'namespaces',
    description: `network namespaces ${topology.id}-* (two nodes, a switch, a client; real ip and ${family === 4 ? 'arping' : 'na6'})`,
    vip,
    config(node) {
      const peer = topology.node(peerOf(node))
      const address = { interface: 'pub0', address: vip }
      const target = (i: { ipv4: string; ipv6: string | undefined }) => (family === 6 ? i.ipv6! : i.ipv4)
      return {
        interval: opts.interval ?? '100ms',
        deadAfter: opts.deadAfter ?? '300ms',
        links: [
          { name: 'private', targets: [target(peer.private!)] },
          { name: 'public', targets: [target(peer.public)] },
        ],
        owns: node === 'a' ? [address] : [],
        peers: node === 'a' ? [{ id: 'b' }] : [{ id: 'a', takeover: [address] }],
      }
    },
    agentCommand(node, args) {
      return [
        'ip',
        'netns',
        'exec',
        topology.node(node).ns,
        process.execPath,
        ...AGENT_NODE_FLAGS,
        ...(opts.nodeFlags ?? []),
        IPFO_BIN,
        'agent',
        ...args,
      ]
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
    async holders() {
      const [a, b] = await Promise.all([holds('a'), holds('b')])
      return [a && 'a', b && 'b'].filter((x): x is string => Boolean(x))
    },
    startProbe() {
      return pingProbe(topology.client!.ns, vipIp, opts.probeEveryMs ?? 2)
    },
    destroy: () => topology.destroy(),
  }
}
