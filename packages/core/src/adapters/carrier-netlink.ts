import type { LinkSource } from './link-source.js'

/** rtnetlink's RTM_NEWLINK and RTM_DELLINK (linux/rtnetlink.h). */
const NEWLINK = 16
const DELLINK = 17

/** An interface as the npm package `netlink` reads an RTM_NEWLINK (or RTM_DELLINK) message. */
export interface LinkNotice {
  readonly data: { readonly flags?: { readonly lowerUp?: true } }
  readonly attrs: { readonly ifname?: string }
}

/**
 * What the carrier watch needs of an rtnetlink socket of the npm package `netlink` (its own socket:
 * a link dump and its notices must not wait behind address changes), and of its message parser.
 */
export interface RtLinks {
  getLinks(data?: object, attrs?: object, options?: { timeout?: number }): Promise<readonly LinkNotice[]>
  addMembership(group: 'LINK'): void
  readonly socket: {
    /** Raw messages: the type tells a deleted interface (RTM_DELLINK) from a changed one. */
    on(
      event: 'message',
      listener: (messages: readonly { type: number; data: Buffer }[], info: { groups: number }) => void,
    ): unknown
    on(event: 'error', listener: (error: Error) => void): unknown
    close(): void
  }
  /** The package's parser of a link message's payload. */
  parseLink(data: Buffer): LinkNotice
}

/**
 * Link notices from the kernel on the agent's own rtnetlink socket (group RTNLGRP_LINK), and the
 * snapshot from a link dump on it: no `ip monitor` process. An interface has a carrier when its
 * flags have IFF_LOWER_UP; a deleted one has none. A socket error ends the stream (the watch listens
 * again, on the same socket, after its restart delay).
 */
export function netlinkLinks(rt: RtLinks, timeoutMs = 2_000): LinkSource {
  let onLink: ((iface: string, up: boolean) => void) | undefined
  let onExit: ((why: string) => void) | undefined
  let subscribed = false
  const subscribe = () => {
    if (subscribed) return
    subscribed = true
    rt.socket.on('message', (messages, info) => {
      // Answers to this socket's own requests come with groups 0; notices with the group's bit.
      if (info.groups === 0) return
      for (const m of messages) {
        if (m.type !== NEWLINK && m.type !== DELLINK) continue
        const link = rt.parseLink(m.data)
        const name = link.attrs.ifname
        if (name) onLink?.(name, m.type === NEWLINK && link.data.flags?.lowerUp === true)
      }
    })
    rt.socket.on('error', (error) => {
      const exit = onExit
      onLink = undefined
      onExit = undefined
      exit?.(`rtnetlink link notices: ${error.message}`)
    })
    rt.addMembership('LINK')
  }
  return {
    async listen(link, exit) {
      onLink = link
      onExit = exit
      subscribe()
    },
    async snapshot() {
      const links = await rt.getLinks({}, {}, { timeout: timeoutMs })
      const out: Record<string, boolean> = {}
      for (const l of links) if (l.attrs.ifname) out[l.attrs.ifname] = l.data.flags?.lowerUp === true
      return out
    },
    close() {
      onLink = undefined
      onExit = undefined
      rt.socket.close()
    },
  }
}
