import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { LinkConfig } from '../config/schema.js'
import type { Clock, ReceivedPacket, Transport } from '../model/ports.js'

interface Target {
  readonly host: string
  readonly port: number
}

/** Parses a heartbeat target: "10.0.0.2", "10.0.0.255:1700", "fd00::2", "[fd00::2]:1700". */
export function parseTarget(text: string, defaultPort: number): Target {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : defaultPort }
  if (isIPv6(text)) return { host: text, port: defaultPort }
  const [host, port] = text.split(':')
  return { host: host!, port: port ? Number(port) : defaultPort }
}

/**
 * Heartbeats over UDP. One socket per distinct listen address and port, shared by the links that use
 * it; each link sends to its own targets. Broadcast is enabled so Apple-style broadcast targets work.
 */
export function udpTransport(opts: {
  links: readonly LinkConfig[]
  port: number
  clock: Clock
  onError: (message: string) => void
}): Transport {
  const sockets = new Map<string, Socket>()
  const linkSocket = new Map<string, { socket: Socket; targets: Target[] }>()

  for (const link of opts.links) {
    const targets = link.targets.map((t) => parseTarget(t, opts.port))
    const v6 = targets.some((t) => isIPv6(t.host))
    const listen = link.listen ?? (v6 ? '::' : '0.0.0.0')
    const port = link.port ?? opts.port
    const key = `${listen}|${port}`
    let socket = sockets.get(key)
    if (!socket) {
      socket = createSocket({ type: isIPv6(listen) ? 'udp6' : 'udp4' })
      sockets.set(key, socket)
    }
    linkSocket.set(link.name, { socket, targets })
  }

  return {
    async start(onPacket: (packet: ReceivedPacket) => void) {
      await Promise.all(
        [...sockets.entries()].map(
          ([key, socket]) =>
            new Promise<void>((resolve, reject) => {
              const [address, port] = key.split('|')
              socket.once('error', reject)
              socket.on('message', (data, rinfo) =>
                onPacket({ data, from: { address: rinfo.address, port: rinfo.port }, at: opts.clock.now() }),
              )
              socket.bind({ address, port: Number(port), exclusive: false }, () => {
                socket.off('error', reject)
                socket.on('error', (error) =>
                  opts.onError(`heartbeat socket ${address}:${port}: ${error.message}`),
                )
                if (!isIPv6(address!)) socket.setBroadcast(true)
                resolve()
              })
            }),
        ),
      )
    },
    send(link, data) {
      const entry = linkSocket.get(link)
      if (!entry) return
      for (const target of entry.targets) {
        // A cut link makes sends fail (ENETUNREACH): that is the condition heartbeats detect, not an error.
        entry.socket.send(data, target.port, target.host, () => {})
      }
    },
    async close() {
      await Promise.all(
        [...sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      )
    },
  }
}
