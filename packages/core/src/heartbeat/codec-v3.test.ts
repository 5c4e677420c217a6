// Version 3's sections (orders, heard peers, the null fit list) and the shrink rule; codec.test.ts has
// the header, the held and fit lists, and what every version shares (MAC, size, magic).
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { HeardPeer, OrderView } from '../model/advertised.js'
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat, MAX_PACKET_BYTES } from './codec.js'
import { heartbeatKey, keyRing } from './key-ring.js'

const alpha = heartbeatKey(Buffer.alloc(32, 0xa1))
const ring = keyRing(alpha)

const base: Heartbeat = {
  node: 'node-a',
  link: 'private',
  incarnation: 1_700_000_000_000,
  seq: 42,
  sentAt: 1_700_000_123_456,
  intervalMs: 1000,
  state: 'healthy',
  held: [],
  fit: null,
  orders: null,
  heard: null,
}
const order: OrderView = { owner: 'a', takers: ['b', 'c'], addresses: ['10.0.0.1', 'fd00::1'] }
const peer: HeardPeer = {
  node: 'b',
  ageMs: 300,
  incarnation: 5,
  sentAt: 7,
  state: 'healthy',
  detail: { held: [{ ip: '10.0.0.2', prefix: 24, family: 4, status: 'held' }], fit: null },
}

function signed(body: Buffer): Buffer {
  return Buffer.concat([body, createHmac('sha256', alpha.secret).update(body).digest()])
}

function bodyOf(packet: Buffer): Buffer {
  return Buffer.from(packet.subarray(0, -32))
}

function roundTrip(hb: Heartbeat) {
  return decodeHeartbeat(encodeHeartbeat(hb, ring), ring)
}

const v6 = (i: number) => `2001:db8:ffff:ffff:ffff:ffff:ffff:${(i + 1).toString(16)}`
const name = (c: string) => c.repeat(32)

describe('version 3: encoding', () => {
  it('lays out the fit list (0xff for null), the orders, then the heard peers', () => {
    const packet = encodeHeartbeat(
      { ...base, orders: [order], heard: [peer, { ...peer, detail: null }] },
      ring,
    )
    const v1 = bodyOf(encodeHeartbeat(base, ring))
    const body = bodyOf(packet)
    expect(body[4]).toBe(3)
    expect(body.subarray(5, v1.length).equals(v1.subarray(5))).toBe(true)
    expect(body.subarray(v1.length).toString('hex')).toBe(
      [
        'ff', // fit: null
        '01', // one order
        '0161', // owner a
        '02' + '0162' + '0163', // takers b, c
        '02' + '040a000001' + '06fd000000000000000000000000000001', // its addresses
        '02', // two heard peers
        '0162' + '012c' + '0000000000000005' + '0000000000000007' + '01', // b, 300 ms, inc 5, sentAt 7, healthy
        '01' + '01' + '041800' + '0a000002' + 'ff', // detail: one held address, fit null
        '0162' + '012c' + '0000000000000005' + '0000000000000007' + '01' + '00', // b again, no detail
      ].join(''),
    )
  })

  it('is version 3 when orders or heard is given, the other then going as an empty list', () => {
    expect(roundTrip({ ...base, orders: [order] })).toMatchObject({
      heartbeat: { orders: [order], heard: [] },
    })
    expect(roundTrip({ ...base, heard: [peer] })).toMatchObject({ heartbeat: { orders: [], heard: [peer] } })
    expect(encodeHeartbeat({ ...base, orders: [] }, ring)[4]).toBe(3)
  })

  it('stays version 1 or 2 when both are null or absent', () => {
    const { orders: _, heard: __, ...without } = base
    expect(encodeHeartbeat(without, ring)).toEqual(encodeHeartbeat(base, ring))
    expect(encodeHeartbeat(without, ring)[4]).toBe(1)
    expect(encodeHeartbeat({ ...base, fit: [] }, ring)[4]).toBe(2)
  })

  it('caps ageMs at 65535', () => {
    const result = roundTrip({ ...base, heard: [{ ...peer, ageMs: 70_000 }] })
    expect(result.ok && result.heartbeat.heard?.[0]?.ageMs).toBe(65_535)
  })

  it.each<[string, Partial<Heartbeat>]>([
    ['33 orders', { orders: Array.from({ length: 33 }, () => ({ ...order, addresses: [] })) }],
    ['an order with no takers', { orders: [{ ...order, takers: [] }] }],
    ['an order with 17 takers', { orders: [{ ...order, takers: Array.from({ length: 17 }, () => 'b') }] }],
    ['an order with 33 addresses', { orders: [{ ...order, addresses: Array(33).fill('10.0.0.1') }] }],
    ['an empty owner', { orders: [{ ...order, owner: '' }] }],
    ['a 33-byte taker', { orders: [{ ...order, takers: ['t'.repeat(33)] }] }],
    ['an order address that is not one', { orders: [{ ...order, addresses: ['10.0.0.256'] }] }],
    ['33 heard peers', { heard: Array.from({ length: 33 }, () => ({ ...peer, detail: null })) }],
    ['an empty heard peer', { heard: [{ ...peer, node: '' }] }],
    ['a negative ageMs', { heard: [{ ...peer, ageMs: -1 }] }],
    ['a fractional ageMs', { heard: [{ ...peer, ageMs: 1.5 }] }],
    ['an ageMs of NaN', { heard: [{ ...peer, ageMs: Number.NaN }] }],
    ['an infinite ageMs', { heard: [{ ...peer, ageMs: Number.POSITIVE_INFINITY }] }],
    ['a heard incarnation above 2^53-1', { heard: [{ ...peer, incarnation: 2 ** 53 }] }],
    ['a negative heard sentAt', { heard: [{ ...peer, sentAt: -1 }] }],
    ['an unknown heard state', { heard: [{ ...peer, state: 'gone' as HeardPeer['state'] }] }],
    [
      '33 held addresses in a detail',
      { heard: [{ ...peer, detail: { held: Array(33).fill(peer.detail!.held[0]), fit: null } }] },
    ],
    [
      '33 fit addresses in a detail',
      { heard: [{ ...peer, detail: { held: [], fit: Array(33).fill('::1') } }] },
    ],
    [
      'an IPv6 prefix of 129 in a detail',
      {
        heard: [
          { ...peer, detail: { held: [{ ip: '::1', prefix: 129, family: 6, status: 'held' }], fit: null } },
        ],
      },
    ],
  ])('refuses to encode %s', (_, change) => {
    expect(() => encodeHeartbeat({ ...base, ...change }, ring)).toThrow(RangeError)
  })

  it('names what breaks a limit', () => {
    const takers = Array.from({ length: 17 }, () => 'b')
    expect(() => encodeHeartbeat({ ...base, orders: [{ ...order, takers }] }, ring)).toThrow(
      '17 takers in the order of a; a heartbeat carries at most 16',
    )
    expect(() => encodeHeartbeat({ ...base, heard: [{ ...peer, ageMs: -1 }] }, ring)).toThrow(
      'the ageMs of heard peer b is -1',
    )
  })
})

describe('version 3: round trips', () => {
  const detail = (n: number, fit: string[] | null): HeardPeer['detail'] => ({
    held: Array.from({ length: n }, (_, i) => ({ ip: v6(i), prefix: 64, family: 6, status: 'releasing' })),
    fit,
  })
  const cases: Record<string, Partial<Heartbeat>> = {
    'an order of IPv4 addresses': {
      orders: [{ owner: 'a', takers: ['b'], addresses: ['10.0.0.1', '0.0.0.0'] }],
    },
    'an order of IPv6 addresses': { orders: [{ owner: 'a', takers: ['c', 'b'], addresses: ['::', v6(1)] }] },
    'an order with no addresses': { orders: [{ owner: 'a', takers: ['b'], addresses: [] }] },
    'an order of 16 takers with the longest names': {
      orders: [
        {
          owner: name('o'),
          takers: Array.from({ length: 16 }, (_, i) => name(String(i % 10))),
          addresses: [],
        },
      ],
    },
    'several orders': { orders: [order, { owner: 'b', takers: ['a', 'c'], addresses: ['192.168.1.7'] }] },
    'heard peers with and without detail': {
      heard: [peer, { ...peer, node: 'c', state: 'maintenance', detail: null }],
    },
    'a detail with IPv4 and IPv6 held and a fit list': {
      heard: [
        {
          ...peer,
          detail: {
            held: [
              { ip: '10.0.0.2', prefix: 32, family: 4, status: 'kept' },
              { ip: 'fd00::2', prefix: 128, family: 6, status: 'held' },
            ],
            fit: ['10.0.0.2', 'fd00::2'],
          },
        },
      ],
    },
    'a detail with an empty fit list (not null)': { heard: [{ ...peer, detail: detail(0, []) }] },
    'a detail with a null fit list': { heard: [{ ...peer, detail: detail(2, null) }] },
    'the extremes of a heard peer': {
      heard: [
        {
          node: 'é'.repeat(16),
          ageMs: 65_535,
          incarnation: Number.MAX_SAFE_INTEGER,
          sentAt: 0,
          state: 'stopping',
          detail: null,
        },
      ],
    },
    'a fit list of its own, beside the orders': { fit: ['10.0.0.1', 'fd00::1'], orders: [order], heard: [] },
    'no fit list (null), beside the orders': { fit: null, orders: [order], heard: [] },
    'an empty fit list, beside the orders': { fit: [], orders: [order], heard: [] },
    '32 orders, each at the least': {
      orders: Array.from({ length: 32 }, (_, i) => ({ owner: `o${i}`, takers: ['t'], addresses: [] })),
    },
    '32 heard peers without detail': {
      heard: Array.from({ length: 32 }, (_, i) => ({ ...peer, node: `p${i}`, detail: null })),
    },
  }
  it.each(Object.entries(cases))('%s', (_, change) => {
    const hb: Heartbeat = { heard: [], orders: [], ...base, ...change }
    hb.orders ??= []
    hb.heard ??= []
    expect(roundTrip(hb)).toEqual({ ok: true, heartbeat: hb, keyId: alpha.id })
  })

  it('decodes addresses to the normalized form', () => {
    const result = roundTrip({
      ...base,
      orders: [{ owner: 'a', takers: ['b'], addresses: ['FD00:0::0010'] }],
      heard: [{ ...peer, detail: { held: [], fit: ['::ffff:1.2.3.4'] } }],
    })
    expect(result.ok && result.heartbeat.orders?.[0]?.addresses).toEqual(['fd00::10'])
    expect(result.ok && result.heartbeat.heard?.[0]?.detail?.fit).toEqual(['::ffff:102:304'])
  })
})

describe('version 3: within MAX_PACKET_BYTES', () => {
  // Each detail is 8 held and 8 fit IPv6 addresses: 1 + 8 * 19 + 1 + 8 * 17 = 290 bytes.
  const DETAIL_BYTES = 290
  const bigDetail = (p: number): HeardPeer['detail'] => ({
    held: Array.from({ length: 8 }, (_, i) => ({
      ip: v6(p * 16 + i),
      prefix: 64,
      family: 6,
      status: 'held',
    })),
    fit: Array.from({ length: 8 }, (_, i) => v6(p * 16 + 8 + i)),
  })
  const peers = (n: number): HeardPeer[] =>
    Array.from({ length: n }, (_, p) => ({ ...peer, node: `peer-${p}`, detail: bigDetail(p) }))

  it('leaves out the heard peers detail, last peer first, just until it fits', () => {
    const heard = peers(8)
    const packet = encodeHeartbeat({ ...base, heard }, ring)
    expect(packet.length).toBeLessThanOrEqual(MAX_PACKET_BYTES)
    expect(packet.length + DETAIL_BYTES).toBeGreaterThan(MAX_PACKET_BYTES)
    const result = decodeHeartbeat(packet, ring)
    if (!result.ok) throw new Error(result.detail)
    const kept = result.heartbeat.heard!.filter((h) => h.detail !== null).length
    expect(kept).toBe(3)
    expect(result.heartbeat.heard).toEqual(heard.map((h, i) => (i < kept ? h : { ...h, detail: null })))
  })

  it('skips peers that had no detail when counting from the last', () => {
    const heard = [...peers(5), { ...peer, node: 'quiet', detail: null }]
    const result = roundTrip({ ...base, heard })
    const kept = [true, true, true, false, false, false]
    expect(result.ok && result.heartbeat.heard!.map((h) => h.detail !== null)).toEqual(kept)
  })

  it('keeps every detail when the whole fits', () => {
    const heard = peers(3)
    expect(roundTrip({ ...base, heard })).toEqual({
      ok: true,
      heartbeat: { ...base, orders: [], heard },
      keyId: alpha.id,
    })
  })

  it('refuses, saying so, what does not fit even without any detail', () => {
    const orders = Array.from({ length: 32 }, (_, i) => ({
      owner: `owner-${i}`,
      takers: Array.from({ length: 16 }, () => name('t')),
      addresses: [],
    }))
    expect(() => encodeHeartbeat({ ...base, orders, heard: peers(2) }, ring)).toThrow(
      /^heartbeat is \d+ bytes even without the heard peers' detail; the limit is 1400 \(32 orders, 2 heard peers\)$/,
    )
  })
})

describe('version 3: decoding drops', () => {
  const u64 = (n: bigint) => n.toString(16).padStart(16, '0')
  // The v1 body of `base` (up to its empty held list), relabelled version 3, and hand-made sections.
  const head = (() => {
    const body = bodyOf(encodeHeartbeat(base, ring))
    body[4] = 3
    return body.toString('hex')
  })()
  const FIT_NULL = 'ff'
  const ORDER_A = ['0161', '01', '0162', '01', '040a000001'].join('') // a: taker b, 10.0.0.1
  const ORDERS = ['01', ORDER_A].join('')
  const PEER_B = ['0162', '012c', u64(5n), u64(7n), '01'].join('') // b, 300 ms, inc 5, sentAt 7, healthy
  const HEARD = ['01', PEER_B, '00'].join('')
  const decodeHex = (...parts: string[]) => decodeHeartbeat(signed(Buffer.from(parts.join(''), 'hex')), ring)

  it('reads the hand-made sections', () => {
    expect(decodeHex(head, FIT_NULL, ORDERS, HEARD)).toMatchObject({
      ok: true,
      heartbeat: {
        fit: null,
        orders: [{ owner: 'a', takers: ['b'], addresses: ['10.0.0.1'] }],
        heard: [{ node: 'b', ageMs: 300, incarnation: 5, sentAt: 7, state: 'healthy', detail: null }],
      },
    })
  })

  it.each<[string, string[], string]>([
    ['no fit list', [], 'packet ends inside the fit addresses'],
    ['33 fit addresses', ['21'], '33 fit addresses; a heartbeat carries at most 32'],
    ['254 fit addresses', ['fe'], '254 fit addresses; a heartbeat carries at most 32'],
    ['no orders', [FIT_NULL], 'packet ends inside the orders'],
    ['33 orders', [FIT_NULL, '21'], '33 orders; a heartbeat carries at most 32'],
    ['an order cut short', [FIT_NULL, '01', ORDER_A.slice(0, -2)], 'packet ends inside the orders'],
    ['an empty owner', [FIT_NULL, '01', '00'], 'order owner is 0 bytes; it must be 1 to 32'],
    [
      'a 33-byte owner',
      [FIT_NULL, '01', '21', '61'.repeat(33)],
      'order owner is 33 bytes; it must be 1 to 32',
    ],
    ['an owner not UTF-8', [FIT_NULL, '01', '01ff'], 'order owner is not valid UTF-8'],
    ['an order with no takers', [FIT_NULL, '01', '0161', '00'], 'order of a lists no takers; at least 1'],
    ['an order of 17 takers', [FIT_NULL, '01', '0161', '11'], 'order of a lists 17 takers; at most 16'],
    [
      'an empty taker',
      [FIT_NULL, '01', '0161', '01', '00'],
      'a taker in the order of a is 0 bytes; it must be 1 to 32',
    ],
    [
      'an order of 33 addresses',
      [FIT_NULL, '01', '0161', '01', '0162', '21'],
      '33 addresses in the order of a; a heartbeat carries at most 32',
    ],
    [
      'an order address of family 5',
      [FIT_NULL, '01', '0161', '01', '0162', '01', '050a000001'],
      'address family 5 is neither 4 nor 6',
    ],
    [
      'an order address count of 0xff (null only for fit lists)',
      [FIT_NULL, '01', '0161', '01', '0162', 'ff'],
      '255 addresses in the order of a; a heartbeat carries at most 32',
    ],
    ['no heard peers', [FIT_NULL, ORDERS], 'packet ends inside the heard peers'],
    ['33 heard peers', [FIT_NULL, ORDERS, '21'], '33 heard peers; a heartbeat carries at most 32'],
    ['an empty heard peer', [FIT_NULL, ORDERS, '01', '00'], 'heard peer is 0 bytes; it must be 1 to 32'],
    [
      'a heard peer cut in its ageMs',
      [FIT_NULL, ORDERS, '01', '0162', '01'],
      'packet ends inside the heard peers',
    ],
    [
      'a heard peer cut in its incarnation',
      [FIT_NULL, ORDERS, '01', '0162', '012c', '0000'],
      'packet ends inside the heard peers',
    ],
    [
      'a heard incarnation above 2^53-1',
      [FIT_NULL, ORDERS, '01', '0162', '012c', u64(2n ** 53n), u64(7n), '01', '00'],
      'the incarnation of heard peer b 9007199254740992 is above 2^53-1',
    ],
    [
      'a heard sentAt above 2^53-1',
      [FIT_NULL, ORDERS, '01', '0162', '012c', u64(5n), u64(2n ** 64n - 1n), '01', '00'],
      'the sentAt of heard peer b 18446744073709551615 is above 2^53-1',
    ],
    [
      'a heard peer without its flags',
      [FIT_NULL, ORDERS, '01', PEER_B],
      'packet ends inside the heard peers',
    ],
    [
      'a heard state code 4',
      [FIT_NULL, ORDERS, '01', PEER_B.slice(0, -2), '04', '00'],
      'state code 4 of heard peer b is unknown',
    ],
    [
      'heard flags 0x02',
      [FIT_NULL, ORDERS, '01', PEER_B, '02'],
      'heard peer b has flags 0x02; only bit 0 (detail) is defined',
    ],
    [
      'heard flags 0x81',
      [FIT_NULL, ORDERS, '01', PEER_B, '81', '00', 'ff'],
      'heard peer b has flags 0x81; only bit 0 (detail) is defined',
    ],
    [
      'a detail flag and no detail',
      [FIT_NULL, ORDERS, '01', PEER_B, '01'],
      'packet ends inside the heard peers',
    ],
    [
      'a detail without its fit list',
      [FIT_NULL, ORDERS, '01', PEER_B, '01', '00'],
      'packet ends inside the heard peers',
    ],
    [
      'a detail of 33 held addresses',
      [FIT_NULL, ORDERS, '01', PEER_B, '01', '21'],
      '33 held addresses of heard peer b; a heartbeat carries at most 32',
    ],
    [
      'a detail address of status 3',
      [FIT_NULL, ORDERS, '01', PEER_B, '01', '01', '042003', '0a000002', 'ff'],
      'address status code 3 is unknown',
    ],
    [
      'a detail IPv4 prefix of 33',
      [FIT_NULL, ORDERS, '01', PEER_B, '01', '01', '042100', '0a000002', 'ff'],
      'prefix /33 is too long for IPv4',
    ],
    [
      'a detail of 33 fit addresses',
      [FIT_NULL, ORDERS, '01', PEER_B, '01', '00', '21'],
      '33 fit addresses of heard peer b; a heartbeat carries at most 32',
    ],
    [
      'stray bytes after the heard peers',
      [FIT_NULL, ORDERS, HEARD, '0000'],
      '2 stray bytes after the heard peers',
    ],
    ['a stray byte after an empty v3', [FIT_NULL, '00', '00', '00'], '1 stray bytes after the heard peers'],
  ])('%s, as malformed', (_, parts, detail) => {
    expect(decodeHex(head, ...parts)).toEqual({ ok: false, reason: 'malformed', detail })
  })

  it('a version 2 fit count of 0xff: null is version 3 only', () => {
    const v2 = [head.slice(0, 8), '02', head.slice(10)].join('')
    expect(decodeHex(v2, 'ff')).toEqual({
      ok: false,
      reason: 'malformed',
      detail: '255 fit addresses; a heartbeat carries at most 32',
    })
  })

  it('an authentic version 3 body cut short at every length', () => {
    const hb = { ...base, fit: ['10.0.0.9'], orders: [order], heard: [peer, { ...peer, node: 'c' }] }
    const body = bodyOf(encodeHeartbeat(hb, ring))
    const fitEnd = bodyOf(encodeHeartbeat({ ...hb, orders: null, heard: null }, ring)).length
    const ordersEnd = fitEnd + 1 + 2 + 1 + 4 + 1 + 5 + 17
    const v1End = bodyOf(encodeHeartbeat(base, ring)).length
    for (let length = v1End; length < body.length; length++) {
      const section = length < fitEnd ? 'fit addresses' : length < ordersEnd ? 'orders' : 'heard peers'
      expect(decodeHeartbeat(signed(body.subarray(0, length)), ring), `${length} bytes`).toEqual({
        ok: false,
        reason: 'malformed',
        detail: `packet ends inside the ${section}`,
      })
    }
  })
})
