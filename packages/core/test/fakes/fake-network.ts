import type { ReceivedPacket, Transport } from '../../src/model/ports.js'

/**
 * An in-memory heartbeat network. Each node gets a Transport; a packet sent on a link reaches every
 * other node attached to that link, unless the link is cut for the sender or the receiver.
 */
export class FakeNetwork {
  private readonly nodes = new Map<string, { links: Set<string>; onPacket?: (p: ReceivedPacket) => void }>()
  private readonly cut = new Set<string>()
  /** Packets for a node that is not reading its sockets (frozen), in the order they arrived. */
  private readonly held = new Map<string, ReceivedPacket[]>()
  readonly sent: { from: string; link: string; data: Buffer }[] = []

  constructor(private readonly now: () => number) {}

  transport(node: string, links: readonly string[]): Transport {
    const entry: { links: Set<string>; onPacket?: (p: ReceivedPacket) => void } = { links: new Set(links) }
    this.nodes.set(node, entry)
    return {
      start: async (onPacket) => {
        entry.onPacket = onPacket
      },
      send: (link, data) => this.deliver(node, link, data),
      close: async () => {
        delete entry.onPacket
      },
    }
  }

  /** Cuts (or restores) one node's attachment to one link. */
  setCut(node: string, link: string, isCut: boolean): void {
    const key = `${node}/${link}`
    if (isCut) this.cut.add(key)
    else this.cut.delete(key)
  }

  /**
   * Holds what reaches `node` in its sockets, as while its process is frozen; released, the packets
   * are read at once, in order (the poll phase of the node's first loop turn).
   */
  hold(node: string, isHeld: boolean): void {
    if (isHeld) {
      if (!this.held.has(node)) this.held.set(node, [])
      return
    }
    const queued = this.held.get(node) ?? []
    this.held.delete(node)
    for (const packet of queued) this.nodes.get(node)?.onPacket?.(packet)
  }

  /** Injects raw bytes, as a forger or a replayer would. */
  inject(to: string, data: Buffer, from = '192.0.2.66'): void {
    this.nodes.get(to)?.onPacket?.({ data, from: { address: from, port: 1694 }, at: this.now() })
  }

  private deliver(from: string, link: string, data: Buffer): void {
    this.sent.push({ from, link, data })
    if (this.cut.has(`${from}/${link}`)) return
    for (const [name, node] of this.nodes) {
      if (name === from || !node.links.has(link) || this.cut.has(`${name}/${link}`)) continue
      const copy = Buffer.from(data)
      queueMicrotask(() => {
        const packet = { data: copy, from: { address: `node-${from}`, port: 1694 }, at: this.now() }
        const held = this.held.get(name)
        if (held) held.push(packet)
        else node.onPacket?.(packet)
      })
    }
  }
}
