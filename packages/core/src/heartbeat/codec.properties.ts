/**
 * Property checks for the heartbeat codec, shared by codec.fuzz.test.ts (a few thousand runs on every
 * test) and scripts/fuzz-codec.ts (millions, on demand). Each check throws fast-check's report, with
 * the seed to replay, when a property fails.
 */
import { createHmac } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
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
export const heartbeatArbitrary: fc.Arbitrary<Heartbeat> = fc.record({
  node: name,
  link: name,
  incarnation: fc.maxSafeNat(),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  sentAt: fc.maxSafeNat(),
  intervalMs: fc.integer({ min: 0, max: 0xffff_ffff }),
  state: fc.constantFrom('starting', 'healthy', 'maintenance', 'stopping'),
  held: fc.array(heldAddress, { maxLength: 32 }),
  fit: fc.option(fc.array(fc.oneof(fc.ipV4(), fc.ipV6()), { maxLength: 32 }), { nil: null }),
})

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

export const encodeDecodeIsIdentity: PropertyCheck = (numRuns, seed) => {
  fc.assert(
    fc.property(heartbeatArbitrary, fc.boolean(), (hb, signWithPrevious) => {
      const signing = signWithPrevious ? keyRing(previous) : keys
      const result = decodeHeartbeat(encodeHeartbeat(hb, signing), keys)
      if (!result.ok) throw new Error(`dropped as ${result.reason}: ${result.detail}`)
      const expected = {
        ...hb,
        held: hb.held.map((a) => ({ ...a, ip: normalizeIp(a.ip) })),
        fit: hb.fit?.map(normalizeIp) ?? null,
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

/** One edit to a packet's body before it is signed again: it reaches the parser past the MAC. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
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

function resign(body: Buffer): Buffer {
  return Buffer.concat([body, createHmac('sha256', current.secret).update(body).digest()])
}

function checkDrop(reason: DropReason, detail: string): void {
  if (!DROP_REASONS.includes(reason)) throw new Error(`unexpected drop reason ${reason}`)
  if (detail === '' || detail.startsWith('decoder error')) throw new Error(`drop detail: ${detail}`)
}
