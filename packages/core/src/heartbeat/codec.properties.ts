/**
 * Property checks for the heartbeat codec, shared by codec.fuzz.test.ts (a few thousand runs on every
 * test) and scripts/fuzz-codec.ts (millions, on demand). Each check throws fast-check's report, with
 * the seed to replay, when a property fails.
 */
import { createHmac } from 'node:crypto'
import { isIPv4 } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import type { HeardPeer, OrderView } from '../model/advertised.js'
import type { DropReason } from '../model/events.js'
import { normalizeIp } from '../model/ip.js'
import {
  decodeHeartbeat,
  encodeHeartbeat,
  HEARTBEAT_VERSION,
  type Heartbeat,
  type HeldAddress,
  MAX_PACKET_BYTES,
} from './codec.js'
import { heartbeatKey, keyRing } from './key-ring.js'

export type PropertyCheck = (numRuns: number, seed?: number) => void

const current = heartbeatKey(Buffer.from('fuzz key: current, 32 bytes long'))
const previous = heartbeatKey(Buffer.from('fuzz key: previous, 32 bytes lon'))
const keys = keyRing(current, previous)
const DROP_REASONS: readonly DropReason[] = ['malformed', 'wrong-version', 'oversized', 'bad-mac']

const name = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 32 }),
  // At most 4 bytes per code point, so 8 always fit in 32 bytes.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
)
const status = fc.constantFrom<HeldAddress['status']>('held', 'releasing', 'kept')
const heldAddress: fc.Arbitrary<HeldAddress> = fc.oneof(
  fc.record({
    ip: fc.ipV4(),
    prefix: fc.integer({ min: 0, max: 32 }),
    family: fc.constant(4 as const),
    status,
  }),
  fc.record({
    ip: fc.ipV6(),
    prefix: fc.integer({ min: 0, max: 128 }),
    family: fc.constant(6 as const),
    status,
  }),
)
const state = fc.constantFrom('starting', 'healthy', 'maintenance', 'stopping')
const address = fc.oneof(fc.ipV4(), fc.ipV6())
const fitList = fc.option(fc.array(address, { maxLength: 32 }), { nil: null })
const order: fc.Arbitrary<OrderView> = fc.record({
  owner: name,
  takers: fc.array(name, { minLength: 1, maxLength: 16 }),
  addresses: fc.array(address, { maxLength: 32 }),
})
const heardPeer: fc.Arbitrary<HeardPeer> = fc.record({
  node: name,
  // Up to past the cap, which goes as the cap.
  ageMs: fc.nat(100_000),
  incarnation: fc.maxSafeNat(),
  sentAt: fc.maxSafeNat(),
  state,
  detail: fc.option(fc.record({ held: fc.array(heldAddress, { maxLength: 32 }), fit: fitList }), {
    nil: null,
  }),
})
/** Any heartbeat that is valid field by field; a version 3 one may not fit in a packet. */
const anyHeartbeat: fc.Arbitrary<Heartbeat> = fc.record({
  node: name,
  link: name,
  incarnation: fc.maxSafeNat(),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  sentAt: fc.maxSafeNat(),
  intervalMs: fc.integer({ min: 0, max: 0xffff_ffff }),
  state,
  held: fc.array(heldAddress, { maxLength: 32 }),
  fit: fitList,
  // Versions 1 and 2 half the time; short lists often, so most version 3 ones fit.
  orders: fc.option(fc.oneof(fc.array(order, { maxLength: 3 }), fc.array(order, { maxLength: 32 })), {
    nil: null,
    freq: 2,
  }),
  heard: fc.option(fc.oneof(fc.array(heardPeer, { maxLength: 4 }), fc.array(heardPeer, { maxLength: 32 })), {
    nil: null,
    freq: 2,
  }),
})
/** Heartbeats that encode: the ones that fit at least without the heard peers' detail. */
export const heartbeatArbitrary = anyHeartbeat.filter((hb) => packetBytes(hb, 0) <= MAX_PACKET_BYTES)

/** Random bytes, half of them behind a valid magic, version and key id so they reach the MAC check. */
const arbitraryPacket = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc
    .uint8Array({ maxLength: 2042 })
    .map((rest) => Buffer.concat([Buffer.from('IPFO'), Buffer.of(1, current.id), rest])),
)

export const decodeNeverThrowsOrAcceptsRandomBytes: PropertyCheck = (numRuns, seed) => {
  fc.assert(
    fc.property(arbitraryPacket, (bytes) => {
      const result = decodeHeartbeat(Buffer.from(bytes), keys)
      if (result.ok) throw new Error('random bytes decoded as a heartbeat')
      checkDrop(result.reason, result.detail)
      if ((result.reason === 'oversized') !== bytes.length > MAX_PACKET_BYTES) {
        throw new Error(`${bytes.length} bytes reported as ${result.reason}`)
      }
    }),
    { numRuns, seed },
  )
}

/**
 * Encode then decode gives the heartbeat back (addresses normalized, ageMs capped, a version 3 list
 * that was null as empty), less the detail of the fewest last heard peers that brings it within
 * MAX_PACKET_BYTES; one that does not fit even without any detail is refused.
 */
export const encodeDecodeIsIdentity: PropertyCheck = (numRuns, seed) => {
  fc.assert(
    fc.property(anyHeartbeat, fc.boolean(), (hb, signWithPrevious) => {
      const signing = signWithPrevious ? keyRing(previous) : keys
      const heard = hb.heard ?? []
      let keep = heard.length
      while (keep > 0 && packetBytes(hb, keep) > MAX_PACKET_BYTES) keep--
      if (packetBytes(hb, keep) > MAX_PACKET_BYTES) {
        try {
          encodeHeartbeat(hb, signing)
        } catch (error) {
          if (error instanceof RangeError && /even without the heard peers' detail/.test(error.message))
            return
          throw error
        }
        throw new Error(`${packetBytes(hb, 0)} bytes without detail, and it encoded`)
      }
      const packet = encodeHeartbeat(hb, signing)
      if (packet.length !== packetBytes(hb, keep)) {
        throw new Error(`${packet.length} bytes, not ${packetBytes(hb, keep)} (detail of ${keep} peers)`)
      }
      const result = decodeHeartbeat(packet, keys)
      if (!result.ok) throw new Error(`dropped as ${result.reason}: ${result.detail}`)
      const v3 = hb.orders != null || hb.heard != null
      const expected = {
        ...hb,
        held: hb.held.map(normalizeHeld),
        fit: hb.fit?.map(normalizeIp) ?? null,
        orders: v3 ? (hb.orders ?? []).map((o) => ({ ...o, addresses: o.addresses.map(normalizeIp) })) : null,
        heard: v3
          ? heard.map((h, i) => ({
              ...h,
              ageMs: Math.min(h.ageMs, 0xffff),
              detail:
                i < keep && h.detail !== null
                  ? { held: h.detail.held.map(normalizeHeld), fit: h.detail.fit?.map(normalizeIp) ?? null }
                  : null,
            }))
          : null,
      }
      if (!isDeepStrictEqual(result.heartbeat, expected)) {
        throw new Error(`decoded ${fc.stringify(result.heartbeat)}`)
      }
      if (result.keyId !== signing.signing.id) throw new Error(`keyId ${result.keyId}`)
    }),
    { numRuns, seed },
  )
}

export const anySingleByteMutationIsRejected: PropertyCheck = (numRuns, seed) => {
  fc.assert(
    fc.property(heartbeatArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }), (hb, at, delta) => {
      const packet = encodeHeartbeat(hb, keys)
      const index = at % packet.length
      packet[index] = (packet[index]! + delta) % 256
      const result = decodeHeartbeat(packet, keys)
      if (result.ok) throw new Error(`byte ${index} changed and the packet still decoded`)
      // Another version this node reads is judged on its MAC, which covers the version byte.
      const readable = index === 4 && packet[4]! >= 1 && packet[4]! <= HEARTBEAT_VERSION
      const expected: DropReason =
        index < 4 ? 'malformed' : index === 4 && !readable ? 'wrong-version' : 'bad-mac'
      if (result.reason !== expected)
        throw new Error(`byte ${index} changed: ${result.reason}, not ${expected}`)
    }),
    { numRuns, seed },
  )
}

/**
 * One edit to a packet's body before it is signed again: it reaches the parser past the MAC. A
 * `version` edit reads the body as another version this node speaks (a v1 body as v3, and so on).
 */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
  fc.record({
    kind: fc.constant('version' as const),
    at: fc.constant(4),
    value: fc.integer({ min: 1, max: HEARTBEAT_VERSION }),
  }),
)

/**
 * Authentic but damaged bodies (a buggy or hostile peer that has the key): decode never throws, and
 * whatever it accepts re-encodes to the very same bytes, so there is one encoding per heartbeat.
 */
export const authenticatedDamageIsMalformedOrCanonical: PropertyCheck = (numRuns, seed) => {
  fc.assert(
    fc.property(heartbeatArbitrary, fc.array(edit, { minLength: 1, maxLength: 4 }), (hb, edits) => {
      const packet = encodeHeartbeat(hb, keys)
      const body = [...packet.subarray(0, -32)]
      for (const e of edits) {
        const at = 6 + (e.at % (body.length - 5)) // Keep magic, version and key id: those are tested above.
        if (e.kind === 'set' && at < body.length) body[at] = e.value
        if (e.kind === 'insert') body.splice(at, 0, e.value)
        if (e.kind === 'delete') body.splice(at, 1)
        if (e.kind === 'version') body[4] = e.value
      }
      const damaged = resign(Buffer.from(body))
      const result = decodeHeartbeat(damaged, keys)
      if (!result.ok) {
        checkDrop(result.reason, result.detail)
        if (result.reason !== 'malformed' && damaged.length <= MAX_PACKET_BYTES) {
          throw new Error(`authentic damage reported as ${result.reason}: ${result.detail}`)
        }
        return
      }
      const again = encodeHeartbeat(result.heartbeat, keyRing(current))
      if (!again.equals(damaged))
        throw new Error(`${damaged.toString('hex')} re-encodes as ${again.toString('hex')}`)
    }),
    { numRuns, seed },
  )
}

export const codecProperties: Record<string, PropertyCheck> = {
  'decode never throws and never accepts random bytes': decodeNeverThrowsOrAcceptsRandomBytes,
  'encode then decode is the identity': encodeDecodeIsIdentity,
  'any single-byte change to a packet is rejected': anySingleByteMutationIsRejected,
  'authentic damaged bodies are malformed or re-encode identically':
    authenticatedDamageIsMalformedOrCanonical,
}

/** The bytes encodeHeartbeat gives, worked out apart from it, with the detail of heard[0..keep). */
function packetBytes(hb: Heartbeat, keep: number): number {
  const v3 = hb.orders != null || hb.heard != null
  const version = v3 ? 3 : hb.fit != null ? 2 : 1
  let size = 36 + nameBytes(hb.node) + nameBytes(hb.link) + heldBytes(hb.held) + 32
  if (version >= 2) size += addressesBytes(hb.fit ?? null)
  if (version < 3) return size
  size += 1
  for (const o of hb.orders ?? []) {
    size += nameBytes(o.owner) + 1 + sum(o.takers.map(nameBytes)) + addressesBytes(o.addresses)
  }
  size += 1
  for (const [i, h] of (hb.heard ?? []).entries()) {
    size += nameBytes(h.node) + 2 + 8 + 8 + 1 + 1
    if (i < keep && h.detail !== null) size += heldBytes(h.detail.held) + addressesBytes(h.detail.fit)
  }
  return size
}

const nameBytes = (text: string) => 1 + Buffer.byteLength(text)
const heldBytes = (held: readonly HeldAddress[]) => 1 + sum(held.map((a) => (a.family === 4 ? 7 : 19)))
const addressesBytes = (ips: readonly string[] | null) =>
  ips === null ? 1 : 1 + sum(ips.map((ip) => (isIPv4(ip) ? 5 : 17)))
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
const normalizeHeld = (a: HeldAddress): HeldAddress => ({ ...a, ip: normalizeIp(a.ip) })

function resign(body: Buffer): Buffer {
  return Buffer.concat([body, createHmac('sha256', current.secret).update(body).digest()])
}

function checkDrop(reason: DropReason, detail: string): void {
  if (!DROP_REASONS.includes(reason)) throw new Error(`unexpected drop reason ${reason}`)
  if (detail === '' || detail.startsWith('decoder error')) throw new Error(`drop detail: ${detail}`)
}
