import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT_NODE_FLAGS, IPFO_BIN } from '../service/agent-command.js'
import type { Stage } from './stage.js'

/**
 * Without root: both agents on 127.0.0.1, two "links" on different ports, and a simulated address
 * adapter that records held addresses in a file instead of touching an interface.
 */
export function loopbackStage(dir: string, basePort: number): Stage {
  const port = { a: basePort, b: basePort + 1, a2: basePort + 2, b2: basePort + 3 }
  const vip = '192.0.2.100/24'
  const stateFile = (node: string) => join(dir, `${node}-addresses.json`)
  return {
    mode: 'loopback',
    description: 'loopback, simulated addresses (not root: no interface is changed)',
    vip,
    config(node) {
      const me = node === 'a' ? { p: port.a, q: port.a2 } : { p: port.b, q: port.b2 }
      const peer = node === 'a' ? { p: port.b, q: port.b2 } : { p: port.a, q: port.a2 }
      const address = { interface: 'demo0', address: vip }
      return {
        interval: '100ms',
        deadAfter: '300ms',
        links: [
          { name: 'private', listen: '127.0.0.1', port: me.p, targets: [`127.0.0.1:${peer.p}`] },
          { name: 'public', listen: '127.0.0.1', port: me.q, targets: [`127.0.0.1:${peer.q}`] },
        ],
        owns: node === 'a' ? [address] : [],
        peers: node === 'a' ? [{ id: 'b' }] : [{ id: 'a', takeover: [address] }],
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
    async holders() {
      const out: string[] = []
      for (const node of ['a', 'b']) {
        const held = JSON.parse(await readFile(stateFile(node), 'utf8').catch(() => '[]')) as string[]
        if (held.some((k) => k.startsWith(vip))) out.push(node)
      }
      return out
    },
    async destroy() {},
  }
}
