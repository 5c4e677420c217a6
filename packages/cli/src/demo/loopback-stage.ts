import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT_NODE_FLAGS, IPFO_BIN } from '../service/agent-command.js'
import { nodeRoles, PAIR } from './node-roles.js'
import type { Stage } from './stage.js'

/**
 * Without root: every agent on 127.0.0.1, two "links" on different ports, and a simulated address
 * adapter that records held addresses in a file instead of touching an interface. The nodes are a
 * and b unless `nodes` names others; node i listens on `basePort + i` (private) and
 * `basePort + nodes.length + i` (public).
 */
export function loopbackStage<N extends string = 'a' | 'b'>(
  dir: string,
  basePort: number,
  // Without `nodes`, N is its default, 'a' | 'b'.
  nodes: readonly N[] = PAIR as readonly string[] as readonly N[],
): Stage<N> {
  const port = (node: N, link: 'private' | 'public') =>
    basePort + nodes.indexOf(node) + (link === 'public' ? nodes.length : 0)
  const vip = '192.0.2.100/24'
  const stateFile = (node: string) => join(dir, `${node}-addresses.json`)
  return {
    mode: 'loopback',
    description: 'loopback, simulated addresses (not root: no interface is changed)',
    vip,
    nodes,
    config(node) {
      const peers = nodes.filter((n) => n !== node)
      const link = (name: 'private' | 'public') => ({
        name,
        listen: '127.0.0.1',
        port: port(node, name),
        targets: peers.map((peer) => `127.0.0.1:${port(peer, name)}`),
      })
      return {
        interval: '100ms',
        deadAfter: '300ms',
        links: [link('private'), link('public')],
        ...nodeRoles(node, nodes, { interface: 'demo0', address: vip }),
      }
    },
    agentCommand(node, args) {
      return [
        process.execPath,
        ...AGENT_NODE_FLAGS,
        IPFO_BIN,
        'agent',
        ...args,
        '--simulate-addresses',
        stateFile(node),
      ]
    },
    async isolate() {},
    async revive(node) {
      // A rebooted machine starts with no service address.
      const { writeFile } = await import('node:fs/promises')
      await writeFile(stateFile(node), '[]')
    },
    async holders(among = nodes) {
      const out: string[] = []
      for (const node of nodes.filter((n) => among.includes(n))) {
        const held = JSON.parse(await readFile(stateFile(node), 'utf8').catch(() => '[]')) as string[]
        if (held.some((k) => k.startsWith(vip))) out.push(node)
      }
      return out
    },
    async destroy() {},
  }
}
