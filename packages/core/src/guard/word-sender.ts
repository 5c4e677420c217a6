import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { GuardHello } from '../adapters/guard-protocol.js'
import type { WordSender } from './run-guard.js'

/**
 * The guard's UDP sockets, opened when the agent says hello so that nothing is set up after it dies:
 * one per link, bound to the link's listen address (the same source address the agent's heartbeats
 * have) on a port of the kernel's choosing. Peers authenticate heartbeats, not their source port.
 */
export function wordSender(hello: GuardHello): WordSender {
  const sockets = new Map<string, Socket>()
  const byLink = new Map<string, { socket: Socket; targets: GuardHello['links'][number]['targets'] }>()
  for (const link of hello.links) {
    const v6 = link.listen ? isIPv6(link.listen) : link.targets.some((t) => isIPv6(t.host))
    const key = link.listen ?? (v6 ? '::' : '0.0.0.0')
    let socket = sockets.get(key)
    if (!socket) {
      const s = createSocket({ type: v6 ? 'udp6' : 'udp4' })
      s.on('error', () => {})
      s.bind({ address: key, port: 0 }, () => {
        if (!v6) s.setBroadcast(true)
        // A byte to itself: the send path is run once now, not first at the agent's death (cold, it
        // took some 6 ms).
        const self = s.address()
        const to = self.address === '0.0.0.0' ? '127.0.0.1' : self.address === '::' ? '::1' : self.address
        s.send(Buffer.alloc(1), self.port, to, () => {})
      })
      sockets.set(key, s)
      socket = s
    }
    byLink.set(link.name, { socket, targets: link.targets })
  }
  return {
    send(link, data) {
      const entry = byLink.get(link)
      if (!entry) return Promise.reject(new Error(`no link named ${link} in the agent's hello`))
      return Promise.all(
        entry.targets.map(
          (t) =>
            new Promise<void>((resolve, reject) =>
              entry.socket.send(data, t.port, t.host, (error) => (error ? reject(error) : resolve())),
            ),
        ),
      ).then(() => undefined)
    },
    close() {
      for (const s of sockets.values()) s.close()
    },
  }
}
