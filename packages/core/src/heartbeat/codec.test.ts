// Longer than most files: the wire format's byte-level cases (every field, every way a packet can be
// damaged, forged or truncated) read best as one table beside the codec they pin down.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  MAX_PACKET_BYTES,
  MIN_PACKET_BYTES,
  type NodeStateCode,
} from './codec.js'
import { type HeartbeatKey, heartbeatKey, keyRing } from './key-ring.js'

const alpha = heartbeatKey(Buffer.alloc(32, 0xa1))
const beta = heartbeatKey(Buffer.alloc(32, 0xb2))
const ring = keyRing(alpha)

const base: Heartbeat = {
  node: 'node-a',
  link: 'private',
  incarnation: 1_700_000_000_000,
  seq: 42,
  sentAt: 1_700_000_123_456,
  intervalMs: 1000,
  state: 'healthy',
  held: [{ ip: '192.168.1.100', prefix: 24, family: 4, status: 'held' }],
  fit: null,
  orders: null,
  heard: null,
}

/** Sign a hand-made body, to reach the parser behind the MAC. */
function signed(body: Buffer, key: HeartbeatKey = alpha): Buffer {
  return Buffer.concat([body, createHmac('sha256', key.secret).update(body).digest()])
}

function bodyOf(packet: Buffer): Buffer {
  return Buffer.from(packet.subarray(0, -32))
}

function dropOf(data: Buffer, keys = ring) {
  const result = decodeHeartbeat(data, keys)
  if (result.ok) throw new Error('expected a drop')
  return result
}

describe('encodeHeartbeat / decodeHeartbeat', () => {
  it('lays out the header as documented', () => {
    const packet = encodeHeartbeat({ ...base, held: [] }, ring)
    const expected = Buffer.concat([
      Buffer.from('IPFO'),
      Buffer.of(1, alpha.id, 1, 0),
      Buffer.from('0000018bcfe56800', 'hex'),
      Buffer.from('000000000000002a', 'hex'),
      Buffer.from('0000018bcfe74a40', 'hex'),
      Buffer.from('000003e8', 'hex'),
      Buffer.of(6),
      Buffer.from('node-a'),
      Buffer.of(7),
      Buffer.from('private'),
      Buffer.of(0),
    ])
    expect(packet).toEqual(signed(expected))
  })

  it('lays out held addresses as family, prefix, status, address bytes', () => {
    const packet = encodeHeartbeat(
      {
        ...base,
        held: [
          { ip: '10.0.0.1', prefix: 8, family: 4, status: 'releasing' },
          { ip: 'fd00::1', prefix: 64, family: 6, status: 'kept' },
        ],
      },
      ring,
    )
    expect(
      bodyOf(packet)
        .subarray(-(7 + 19))
        .toString('hex'),
    ).toBe(`0408010a000001` + `064002fd000000000000000000000000000001`)
  })

  it('version 2: version 1 with the fit list after the held list (family, address bytes)', () => {
    const packet = encodeHeartbeat({ ...base, held: [], fit: ['10.0.0.1', 'fd00::1'] }, ring)
    const v1 = bodyOf(encodeHeartbeat({ ...base, held: [] }, ring))
    const body = bodyOf(packet)
    expect(body[4]).toBe(2)
    expect(
      body
        .subarray(5)
        .equals(
          Buffer.concat([
            v1.subarray(5),
            Buffer.from('02040a00000106fd000000000000000000000000000001', 'hex'),
          ]),
        ),
    ).toBe(true)
  })

  it('says nothing about fitness in version 1, and an empty fit list in version 2', () => {
    expect(encodeHeartbeat(base, ring)[4]).toBe(1)
    const empty = { ...base, fit: [] }
    const packet = encodeHeartbeat(empty, ring)
    expect(packet[4]).toBe(2)
    expect(decodeHeartbeat(packet, ring)).toEqual({ ok: true, heartbeat: empty, keyId: alpha.id })
  })

  it('round-trips the most a version 2 heartbeat carries, within MAX_PACKET_BYTES', () => {
    const v6 = (i: number) => `2001:db8:ffff:ffff:ffff:ffff:ffff:${(i + 1).toString(16)}`
    const hb: Heartbeat = {
      ...base,
      node: 'n'.repeat(32),
      link: 'l'.repeat(32),
      held: Array.from({ length: 32 }, (_, i) => ({ ip: v6(i), prefix: 128, family: 6, status: 'held' })),
      fit: Array.from({ length: 32 }, (_, i) => v6(i + 100)),
    }
    const packet = encodeHeartbeat(hb, ring)
    expect(packet.length).toBeLessThanOrEqual(MAX_PACKET_BYTES)
    expect(decodeHeartbeat(packet, ring)).toEqual({ ok: true, heartbeat: hb, keyId: alpha.id })
  })

  it('refuses to encode more than 32 fit addresses', () => {
    const fit = Array.from({ length: 33 }, (_, i) => `10.0.0.${i}`)
    expect(() => encodeHeartbeat({ ...base, fit }, ring)).toThrow(
      '33 fit addresses; a heartbeat carries at most 32',
    )
  })

  const held: Record<string, Heartbeat['held']> = {
    'no addresses': [],
    IPv4: [
      { ip: '192.168.1.100', prefix: 24, family: 4, status: 'held' },
      { ip: '0.0.0.0', prefix: 0, family: 4, status: 'releasing' },
      { ip: '255.255.255.255', prefix: 32, family: 4, status: 'kept' },
    ],
    IPv6: [
      { ip: 'fd00::10', prefix: 64, family: 6, status: 'held' },
      { ip: '::', prefix: 0, family: 6, status: 'kept' },
      { ip: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', prefix: 128, family: 6, status: 'releasing' },
      { ip: '1:0:0:2::3', prefix: 48, family: 6, status: 'held' },
      { ip: '::ffff:102:304', prefix: 96, family: 6, status: 'held' },
    ],
    'both, the most a heartbeat carries': Array.from({ length: 32 }, (_, i) =>
      i % 2
        ? { ip: `10.0.0.${i}`, prefix: 32, family: 4, status: 'held' }
        : { ip: `2001:db8::${(i + 1).toString(16)}`, prefix: 128, family: 6, status: 'kept' },
    ),
  }
  it.each(Object.entries(held))('round-trips %s', (_, addresses) => {
    const hb = { ...base, held: addresses }
    expect(decodeHeartbeat(encodeHeartbeat(hb, ring), ring)).toEqual({
      ok: true,
      heartbeat: hb,
      keyId: alpha.id,
    })
  })

  it.each<NodeStateCode>(['starting', 'healthy', 'maintenance', 'stopping'])(
    'round-trips state %s',
    (state) => {
      const hb = { ...base, state }
      expect(decodeHeartbeat(encodeHeartbeat(hb, ring), ring)).toEqual({
        ok: true,
        heartbeat: hb,
        keyId: alpha.id,
      })
    },
  )

  it('round-trips the extremes of every number and name', () => {
    const hb: Heartbeat = {
      ...base,
      node: 'n'.repeat(32),
      link: 'é'.repeat(16),
      incarnation: Number.MAX_SAFE_INTEGER,
      seq: Number.MAX_SAFE_INTEGER,
      sentAt: 0,
      intervalMs: 0xffff_ffff,
    }
    expect(decodeHeartbeat(encodeHeartbeat(hb, ring), ring)).toEqual({
      ok: true,
      heartbeat: hb,
      keyId: alpha.id,
    })
  })

  it('keeps a leading U+FEFF in a name, so names round-trip byte for byte', () => {
    const hb = { ...base, node: '\ufeffnode-a' }
    expect(decodeHeartbeat(encodeHeartbeat(hb, ring), ring)).toEqual({
      ok: true,
      heartbeat: hb,
      keyId: alpha.id,
    })
  })

  it('decodes IPv6 to the normalized form, whatever the spelling encoded', () => {
    const hb: Heartbeat = {
      ...base,
      held: [
        { ip: 'FD00:0:0::0010', prefix: 64, family: 6, status: 'held' },
        { ip: '::ffff:1.2.3.4', prefix: 128, family: 6, status: 'held' },
      ],
    }
    const result = decodeHeartbeat(encodeHeartbeat(hb, ring), ring)
    expect(result.ok && result.heartbeat.held.map((a) => a.ip)).toEqual(['fd00::10', '::ffff:102:304'])
  })

  it.each<[string, Partial<Heartbeat>]>([
    ['an empty node id', { node: '' }],
    ['a 33-byte node id', { node: 'n'.repeat(33) }],
    ['a node id of 17 two-byte characters', { node: 'é'.repeat(17) }],
    ['a lone surrogate', { link: 'a\ud800' }],
    ['an empty link name', { link: '' }],
    ['33 addresses', { held: Array.from({ length: 33 }, () => base.held[0]!) }],
    ['an invalid IPv4 address', { held: [{ ip: '192.168.1.300', prefix: 24, family: 4, status: 'held' }] }],
    ['an IPv6 address as family 4', { held: [{ ip: 'fd00::1', prefix: 24, family: 4, status: 'held' }] }],
    ['an IPv4 address as family 6', { held: [{ ip: '10.0.0.1', prefix: 24, family: 6, status: 'held' }] }],
    ['an IPv6 zone id', { held: [{ ip: 'fe80::1%eth0', prefix: 64, family: 6, status: 'held' }] }],
    ['an IPv4 prefix of 33', { held: [{ ip: '10.0.0.1', prefix: 33, family: 4, status: 'held' }] }],
    ['an IPv6 prefix of 129', { held: [{ ip: 'fd00::1', prefix: 129, family: 6, status: 'held' }] }],
    ['an unknown status', { held: [{ ...base.held[0]!, status: 'lost' as 'held' }] }],
    ['an unknown state', { state: 'dead' as NodeStateCode }],
    ['seq 0', { seq: 0 }],
    ['a fractional seq', { seq: 1.5 }],
    ['a negative incarnation', { incarnation: -1 }],
    ['an incarnation above 2^53-1', { incarnation: 2 ** 53 }],
    ['an interval above 2^32-1', { intervalMs: 2 ** 32 }],
  ])('refuses to encode %s', (_, change) => {
    expect(() => encodeHeartbeat({ ...base, ...change }, ring)).toThrow(RangeError)
  })
})

describe('decodeHeartbeat drops', () => {
  const packet = encodeHeartbeat(
    { ...base, held: [...base.held, { ip: 'fd00::1', prefix: 64, family: 6, status: 'kept' }] },
    ring,
  )

  it('a flipped bit anywhere: magic -> malformed, version -> wrong-version, the rest -> bad-mac', () => {
    for (let byte = 0; byte < packet.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = Buffer.from(packet)
        flipped[byte]! ^= 1 << bit
        // A version this node reads (1 to 3) is judged on the MAC, which covers the version byte.
        const unread = byte === 4 && (flipped[4]! < 1 || flipped[4]! > 3)
        const expected = byte < 4 ? 'malformed' : unread ? 'wrong-version' : 'bad-mac'
        expect(dropOf(flipped).reason, `byte ${byte} bit ${bit}`).toBe(expected)
      }
    }
  })

  it('a packet signed with another key of the same id', () => {
    const impostor = { id: alpha.id, secret: beta.secret }
    expect(dropOf(encodeHeartbeat(base, keyRing(impostor)))).toEqual({
      ok: false,
      reason: 'bad-mac',
      detail: `HMAC does not match key 0x${alpha.id.toString(16).padStart(2, '0')}`,
    })
  })

  it('a packet naming a key id the ring does not have', () => {
    const stranger = { id: (alpha.id + 1) % 256, secret: alpha.secret }
    const drop = dropOf(encodeHeartbeat(base, keyRing(stranger)))
    expect(drop.reason).toBe('bad-mac')
    expect(drop.detail).toMatch(/^key 0x[0-9a-f]{2} is not in the key ring$/)
  })

  it('a packet cut short at every length: malformed when too short, else bad-mac', () => {
    for (let length = 0; length < packet.length; length++) {
      const expected = length < MIN_PACKET_BYTES ? 'malformed' : 'bad-mac'
      expect(dropOf(packet.subarray(0, length)).reason, `${length} bytes`).toBe(expected)
    }
  })

  it('an authentic body cut short at every length', () => {
    const body = bodyOf(packet)
    for (let length = 6; length < body.length; length++) {
      expect(dropOf(signed(body.subarray(0, length))).reason, `${length} bytes`).toBe('malformed')
    }
  })

  it.each([0, 4, 255])('version %d, reported as such even with a bad MAC', (version) => {
    const other = Buffer.from(packet)
    other[4] = version
    expect(dropOf(other)).toEqual({
      ok: false,
      reason: 'wrong-version',
      detail: `heartbeat version ${version}; this node speaks versions 1 to 3`,
    })
  })

  it('a short packet of another version, which may be laid out differently', () => {
    expect(dropOf(Buffer.from('IPFO\x04', 'latin1')).reason).toBe('wrong-version')
  })

  it.each(['ipfo', 'IPF\0', 'XXXX'])('magic %j', (magic) => {
    const other = Buffer.from(packet)
    other.write(magic, 0, 'latin1')
    expect(dropOf(other)).toEqual({
      ok: false,
      reason: 'malformed',
      detail: 'packet does not start with "IPFO"',
    })
  })

  it.each([
    [1401, 'packet is 1401 bytes; the limit is 1400'],
    [1500, 'packet is 1500 bytes; the limit is 1400'],
  ])('%d bytes as oversized, before anything else', (size, detail) => {
    const big = Buffer.concat([packet, Buffer.alloc(size - packet.length)])
    expect(dropOf(big)).toEqual({ ok: false, reason: 'oversized', detail })
  })

  it('1400 bytes is not oversized', () => {
    expect(dropOf(Buffer.concat([packet, Buffer.alloc(MAX_PACKET_BYTES - packet.length)])).reason).toBe(
      'bad-mac',
    )
  })

  it('bytes after the MAC, as bad-mac', () => {
    expect(dropOf(Buffer.concat([packet, Buffer.of(0)])).reason).toBe('bad-mac')
  })

  it('authentic bytes after the last address, as malformed', () => {
    expect(dropOf(signed(Buffer.concat([bodyOf(packet), Buffer.of(0, 0)])))).toEqual({
      ok: false,
      reason: 'malformed',
      detail: '2 stray bytes after the last held address',
    })
  })

  // Offsets in `base`'s body: node-a is 6 bytes at 37, private 7 bytes at 44, held count at 51.
  const NODE_LEN = 36
  const LINK_LEN = 43
  const COUNT = 51
  const authentic = bodyOf(encodeHeartbeat(base, ring))
  const u64 = (n: bigint) => Buffer.from(n.toString(16).padStart(16, '0'), 'hex')
  const patch = (body: Buffer, offset: number, bytes: Buffer) => {
    bytes.copy(body, offset)
    return body
  }
  it.each<[string, (body: Buffer) => Buffer, RegExp]>([
    ['state code 4', (b) => b.fill(4, 6, 7), /state code 4/],
    ['a flag', (b) => b.fill(1, 7, 8), /flags are 0x01/],
    ['an incarnation above 2^53-1', (b) => patch(b, 8, u64(2n ** 53n)), /incarnation .* above/],
    ['seq 0', (b) => b.fill(0, 16, 24), /seq is 0/],
    ['a sentAt above 2^53-1', (b) => patch(b, 24, u64(2n ** 64n - 1n)), /sentAt .* above/],
    [
      'an empty node id',
      (b) => Buffer.concat([b.subarray(0, NODE_LEN), Buffer.of(0), b.subarray(LINK_LEN)]),
      /node id is 0 bytes/,
    ],
    [
      'an empty link name',
      (b) => Buffer.concat([b.subarray(0, LINK_LEN), Buffer.of(0), b.subarray(COUNT)]),
      /link name is 0 bytes/,
    ],
    [
      'a 33-byte node id',
      (b) =>
        Buffer.concat([b.subarray(0, NODE_LEN), Buffer.of(33), Buffer.alloc(33, 0x61), b.subarray(LINK_LEN)]),
      /node id is 33 bytes/,
    ],
    ['a node id that is not UTF-8', (b) => b.fill(0xff, 37, 38), /node id is not valid UTF-8/],
    ['a truncated UTF-8 link name', (b) => b.fill(0xc3, 50, 51), /link name is not valid UTF-8/],
    ['33 held addresses', (b) => b.fill(33, COUNT, COUNT + 1), /33 held addresses/],
    ['more held addresses than bytes', (b) => b.fill(2, COUNT, COUNT + 1), /ends inside the held addresses/],
    ['address family 5', (b) => b.fill(5, 52, 53), /family 5/],
    ['an IPv4 prefix of 33', (b) => b.fill(33, 53, 54), /prefix \/33 is too long for IPv4/],
    ['address status 3', (b) => b.fill(3, 54, 55), /status code 3/],
  ])('an authentic body with %s, as malformed', (_, damage, detail) => {
    const drop = dropOf(signed(damage(Buffer.from(authentic))))
    expect(drop.reason).toBe('malformed')
    expect(drop.detail).toMatch(detail)
  })

  it('an authentic IPv6 prefix of 129, as malformed', () => {
    const v6 = bodyOf(
      encodeHeartbeat({ ...base, held: [{ ip: 'fd00::1', prefix: 64, family: 6, status: 'held' }] }, ring),
    )
    v6[53] = 129
    expect(dropOf(signed(v6)).detail).toBe('prefix /129 is too long for IPv6')
  })

  it('never throws, even for a Uint8Array posing as a Buffer', () => {
    expect(decodeHeartbeat(new Uint8Array(80) as Buffer, ring).ok).toBe(false)
  })
})

describe('key rotation', () => {
  const hb = base

  it('a ring with the new and old keys accepts packets signed with either', () => {
    const rotating = keyRing(beta, alpha)
    expect(decodeHeartbeat(encodeHeartbeat(hb, keyRing(alpha)), rotating)).toMatchObject({
      ok: true,
      keyId: alpha.id,
    })
    expect(decodeHeartbeat(encodeHeartbeat(hb, keyRing(beta)), rotating)).toMatchObject({
      ok: true,
      keyId: beta.id,
    })
  })

  it('signs with the first key of the ring', () => {
    const packet = encodeHeartbeat(hb, keyRing(beta, alpha))
    expect(packet[5]).toBe(beta.id)
    expect(decodeHeartbeat(packet, keyRing(beta)).ok).toBe(true)
  })

  it('a node that has not got the new key yet drops its packets', () => {
    expect(dropOf(encodeHeartbeat(hb, keyRing(beta, alpha)), keyRing(alpha)).reason).toBe('bad-mac')
  })

  it('tries every key that shares the packet key id', () => {
    const twin = { id: alpha.id, secret: beta.secret }
    const both = keyRing(alpha, twin)
    expect(decodeHeartbeat(encodeHeartbeat(hb, keyRing(alpha)), both).ok).toBe(true)
    expect(decodeHeartbeat(encodeHeartbeat(hb, keyRing(twin)), both).ok).toBe(true)
  })
})
