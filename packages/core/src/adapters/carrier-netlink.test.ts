import { describe, expect, it } from 'vitest'
import type { IpBatch } from '../model/ports.js'
import { type LinkNotice, netlinkLinks, type RtLinks } from './carrier-netlink.js'
import { carrierWatch } from './carrier-watch.js'
import type { LinkSource } from './link-source.js'

const NEWLINK = 16
const DELLINK = 17

/** An rtnetlink socket whose notices and errors the test sends; messages carry their notice as JSON. */
function fakeSocket(links: Record<string, boolean>) {
  let onMessage:
    | ((m: readonly { type: number; data: Buffer }[], info: { groups: number }) => void)
    | undefined
  let onError: ((e: Error) => void) | undefined
  const state = { closed: false, members: [] as string[] }
  const rt: RtLinks = {
    getLinks: async () =>
      Object.entries(links).map(([ifname, up]) => ({
        data: { flags: up ? { lowerUp: true } : {} },
        attrs: { ifname },
      })),
    addMembership: (group) => state.members.push(group),
    socket: {
      on: ((event: 'message' | 'error', listener: never) => {
        if (event === 'message') onMessage = listener
        else onError = listener
      }) as RtLinks['socket']['on'],
      close: () => {
        state.closed = true
      },
    },
    parseLink: (data) => JSON.parse(data.toString()) as LinkNotice,
  }
  const notice = (type: number, notice: LinkNotice, groups = 1) =>
    onMessage?.([{ type, data: Buffer.from(JSON.stringify(notice)) }], { groups })
  return { rt, state, notice, fail: (e: Error) => onError?.(e) }
}

const batch: IpBatch = {
  run: async () => ({ exitCode: 0, signal: null, stdout: '', stderr: '' }),
  start: () => undefined,
  close: () => undefined,
}

describe('link notices over rtnetlink', () => {
  it('reads the carrier from IFF_LOWER_UP; a deleted interface has none; another family says nothing', async () => {
    const sock = fakeSocket({ eth0: true, eth1: false })
    const source = netlinkLinks(async () => sock.rt)
    const seen: string[] = []
    await source.listen(
      (iface, up) => seen.push(`${iface} ${up}`),
      () => undefined,
    )
    expect(sock.state.members).toEqual(['LINK'])
    expect(await source.snapshot()).toEqual({ eth0: true, eth1: false })
    sock.notice(NEWLINK, { data: { flags: {} }, attrs: { ifname: 'eth0' } })
    sock.notice(NEWLINK, { data: { flags: { lowerUp: true } }, attrs: { ifname: 'eth1' } })
    // A port leaving a bridge (AF_BRIDGE, 7): not a carrier.
    sock.notice(DELLINK, { data: { family: 7, flags: { lowerUp: true } }, attrs: { ifname: 'eth1' } })
    // Deleted: the flags may still say LOWER_UP.
    sock.notice(DELLINK, { data: { family: 0, flags: { lowerUp: true } }, attrs: { ifname: 'eth1' } })
    // An answer to a request of this socket's own (groups 0) is no notice.
    sock.notice(NEWLINK, { data: { flags: { lowerUp: true } }, attrs: { ifname: 'eth0' } }, 0)
    expect(seen).toEqual(['eth0 false', 'eth1 true', 'eth1 false'])
  })

  it('a socket error ends the stream and drops the socket; listening again opens a new one', async () => {
    const first = fakeSocket({ eth0: true })
    const second = fakeSocket({ eth0: false })
    const sockets = [first, second]
    const source = netlinkLinks(async () => sockets.shift()!.rt)
    const exits: string[] = []
    await source.listen(
      () => undefined,
      (why) => exits.push(why),
    )
    first.fail(new Error('recvmsg: ENOBUFS'))
    expect(exits).toEqual(['rtnetlink link notices: recvmsg: ENOBUFS'])
    expect(first.state.closed).toBe(true)
    await source.listen(
      () => undefined,
      () => undefined,
    )
    expect(await source.snapshot()).toEqual({ eth0: false })
    expect(second.state.members).toEqual(['LINK'])
    source.close()
    expect(second.state.closed).toBe(true)
  })

  it('a socket that cannot be opened fails the start, with why', async () => {
    const source = netlinkLinks(async () => new Error('EMFILE'))
    await expect(
      source.listen(
        () => undefined,
        () => undefined,
      ),
    ).rejects.toThrow('rtnetlink link notices: EMFILE')
  })
})

describe('the carrier watch', () => {
  it('reads the snapshot again when a dump fails (a notice broke it)', async () => {
    let dumps = 0
    const source: LinkSource = {
      listen: async () => undefined,
      snapshot: async () => {
        dumps++
        if (dumps === 1) throw new Error('Multipart message not terminated properly')
        return { eth0: true }
      },
      close: () => undefined,
    }
    const watch = carrierWatch(source, { batch })
    expect(await watch.start(['eth0'], () => undefined)).toEqual({ eth0: true })
    expect(dumps).toBe(2)
    watch.close()
  })
})
