import { describe, expect, it } from 'vitest'
import {
  type AddressEvent,
  bothHeldMs,
  holdersAt,
  parseAddressLine,
  parseAnnouncementLine,
  parseNeighbourLine,
} from './monitor.js'

const VIP = '10.222.1.50'

describe('tcpdump arp lines', () => {
  const frame = (what: string) =>
    `1796658353.949995 22:4e:72:ae:2d:35 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: ${what}, length 28`
  it('takes a gratuitous request or reply for the VIP, at the kernel stamp, with the sender MAC', () => {
    const request = parseAnnouncementLine(
      frame(`Request who-has ${VIP} (ff:ff:ff:ff:ff:ff) tell ${VIP}`),
      VIP,
    )
    expect(request?.mac).toBe('22:4e:72:ae:2d:35')
    expect(request?.at).toBeCloseTo(1796658353949.995, 3)
    expect(parseAnnouncementLine(frame(`Reply ${VIP} is-at 22:4e:72:ae:2d:35`), VIP)?.mac).toBe(
      '22:4e:72:ae:2d:35',
    )
  })
  it('leaves out ARP that is not an announcement of the VIP', () => {
    // The client asking for the VIP, a node asking for the client, another address announced.
    expect(parseAnnouncementLine(frame(`Request who-has ${VIP} tell 10.222.1.100`), VIP)).toBeUndefined()
    expect(parseAnnouncementLine(frame(`Request who-has 10.222.1.100 tell 10.222.1.2`), VIP)).toBeUndefined()
    expect(parseAnnouncementLine(frame('Reply 10.222.1.51 is-at 22:4e:72:ae:2d:35'), VIP)).toBeUndefined()
    expect(parseAnnouncementLine('listening on pub0, link-type EN10MB (Ethernet)', VIP)).toBeUndefined()
  })
})

describe('ip monitor lines', () => {
  it('reads address additions and deletions of the VIP only', () => {
    const add = `[2026-11-25T12:23:49.622717] 2: pub0    inet ${VIP}/24 scope global secondary pub0\\       valid_lft forever`
    expect(parseAddressLine(add, 'b', VIP)).toEqual({
      node: 'b',
      kind: 'add',
      at: Date.parse('2026-11-25T12:23:49.622Z') + 0.717,
    })
    const del = `[2026-11-25T12:23:50.000001] Deleted 2: pub0    inet ${VIP}/24 scope global secondary pub0`
    expect(parseAddressLine(del, 'a', VIP)?.kind).toBe('del')
    expect(
      parseAddressLine('[2026-11-25T12:23:50.000001] 2: pub0 inet 10.222.1.1/24', 'a', VIP),
    ).toBeUndefined()
  })

  it("reads the client's neighbour entry for the VIP", () => {
    expect(
      parseNeighbourLine(`[2026-11-25T12:23:49.622850] ${VIP} dev pub0 lladdr 9a:91:87:86:4d:a4 STALE `, VIP),
    ).toMatchObject({ mac: '9a:91:87:86:4d:a4', state: 'STALE' })
    expect(
      parseNeighbourLine(`[2026-11-25T12:23:49.622850] Deleted ${VIP} dev pub0 FAILED`, VIP),
    ).toMatchObject({
      mac: undefined,
      state: 'DELETED',
    })
    expect(parseNeighbourLine(`[2026-11-25T12:23:49.622850] ${VIP}0 dev pub0 STALE`, VIP)).toBeUndefined()
  })
})

describe('holders from address events', () => {
  const events: AddressEvent[] = [
    { node: 'a', kind: 'add', at: 0 },
    { node: 'b', kind: 'add', at: 100 },
    { node: 'a', kind: 'del', at: 130 },
    { node: 'a', kind: 'add', at: 500 },
    { node: 'b', kind: 'del', at: 520 },
  ]

  it('replays who held the VIP at a moment', () => {
    expect(holdersAt(events, 50)).toEqual(['a'])
    expect(holdersAt(events, 110)).toEqual(['a', 'b'])
    expect(holdersAt(events, 200)).toEqual(['b'])
  })

  it('adds up the time both held it within a window', () => {
    expect(bothHeldMs(events, 0, 1000)).toBe(50)
    expect(bothHeldMs(events, 120, 510)).toBe(20)
    expect(
      bothHeldMs(
        [
          { node: 'a', kind: 'add', at: 0 },
          { node: 'b', kind: 'add', at: 10 },
        ],
        0,
        40,
      ),
    ).toBe(30)
  })
})
