import type { LinkSource } from './link-source.js'

/** rtnetlink's RTM_NEWLINK and RTM_DELLINK (linux/rtnetlink.h). */
const NEWLINK = 16
const DELLINK = 17

/** An interface as the npm package `netlink` reads an RTM_NEWLINK (or RTM_DELLINK) message. */
export interface LinkNotice {
  readonly data: { readonly family?: number; readonly flags?: { readonly lowerUp?: true } }
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
 * Link notices from the kernel on an rtnetlink socket of the agent's own (group RTNLGRP_LINK), and
 * the snapshot from a link dump on it: no `ip monitor` process. An interface has a carrier when its
 * flags have IFF_LOWER_UP; a deleted one has none. Notices of another family (a port leaving a
 * bridge: AF_BRIDGE) say nothing of a carrier. The socket is opened at the first `listen`; a socket
 * error ends the stream and drops the socket (one the package closed never recovers), and the
 * watch's next `listen` opens a new one.
 */
export function netlinkLinks(open: () => Promise<RtLinks | Error>, timeoutMs = 2_000): LinkSource {
  let rt: RtLinks | undefined
  let onLink: ((iface: string, up: boolean) => void) | undefined
  let onExit: ((why: string) => void) | undefined
  const drop = () => {
    const old = rt
    rt = undefined
    try {
      old?.socket.close()
    } catch {
      // Closed already by the package, after a poll error.
    }
  }
  return {
    async listen(link, exit) {
      onLink = link
      onExit = exit
      if (rt) return
      const opened = await open()
      if (opened instanceof Error) throw new Error(`rtnetlink link notices: ${opened.message}`)
      const mine = opened
      rt = mine
      mine.socket.on('message', (messages, info) => {
        // Answers to this socket's own requests come with groups 0; notices with the group's bit.
        if (rt !== mine || info.groups === 0) return
        for (const m of messages) {
          if (m.type !== NEWLINK && m.type !== DELLINK) continue
          const notice = mine.parseLink(m.data)
          if ((notice.data.family ?? 0) !== 0) continue
          const name = notice.attrs.ifname
          if (name) onLink?.(name, m.type === NEWLINK && notice.data.flags?.lowerUp === true)
        }
      })
      mine.socket.on('error', (error) => {
        if (rt !== mine) return
        drop()
        const exitNow = onExit
        onLink = undefined
        onExit = undefined
        exitNow?.(`rtnetlink link notices: ${error.message}`)
      })
      mine.addMembership('LINK')
    },
    async snapshot() {
      if (!rt) throw new Error('rtnetlink link notices: the socket is not open')
      const links = await rt.getLinks({}, {}, { timeout: timeoutMs })
      const out: Record<string, boolean> = {}
      for (const l of links) if (l.attrs.ifname) out[l.attrs.ifname] = l.data.flags?.lowerUp === true
      return out
    },
    close() {
      onLink = undefined
      onExit = undefined
      drop()
    },
  }
}
