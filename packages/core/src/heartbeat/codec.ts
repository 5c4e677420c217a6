/**
 * The heartbeat packet: one UDP datagram, big-endian throughout.
 *
 *   offset  size  field
 *   0       4     magic "IPFO"
 *   4       1     version: 1, or 2 when the sender tells its fitness (below)
 *   5       1     key id: which key's HMAC closes the packet (key-ring.ts)
 *   6       1     state: 0 starting, 1 healthy, 2 maintenance, 3 stopping
 *   7       1     flags, 0 (reserved; a new meaning gets a new version)
 *   8       8     incarnation: the sender's start time, ms since epoch
 *   16      8     seq: per (sender, link), from 1
 *   24      8     sentAt: the sender's wall clock, ms since epoch
 *   32      4     intervalMs: the sender's heartbeat interval
 *   36      1+n   node id: length, then 1-32 bytes of UTF-8
 *   ..      1+n   link name: length, then 1-32 bytes of UTF-8
 *   ..      1     held count, 0-32; then per held address:
 *                   family (4 | 6), prefix, status (0 held, 1 releasing, 2 kept), 4 or 16 address bytes
 *   ..      1     version 2 only: fit count, 0-32; then per address the sender could serve and is fit
 *                   for (issue 19's health checks): family (4 | 6), 4 or 16 address bytes
 *   end-32  32    HMAC-SHA256 of every preceding byte, with the key named by the key id
 *
 * Version 2 is version 1 with the fit list. A node speaks it only once it has something to say (it has
 * health checks, or something unfit) or has heard a peer speak it, so a cluster without checks sends
 * the same bytes as before and a rolling upgrade mixes versions safely; version 1 says nothing about
 * fitness (see state-machine/fitness.ts for what that means).
 *
 * The 64-bit fields must hold JS safe integers (below 2^53). Decoding checks size, magic and version,
 * then the HMAC, and only then parses the rest, so unauthenticated bytes are never parsed further.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import type { AdvertisedAddress, NodeStateCode } from '../model/advertised.js'
import type { DropReason } from '../model/events.js'
import { normalizeIp } from '../model/ip.js'
import type { KeyRing } from './key-ring.js'

export const HEARTBEAT_MAGIC = 'IPFO'
/** The newest version this node speaks (and reads, with every older one). */
export const HEARTBEAT_VERSION = 2
/** Room for 32 held and 32 fit IPv6 addresses with the longest names, within a 1500-byte MTU. */
export const MAX_PACKET_BYTES = 1400
export const MAX_NAME_BYTES = 32
export const MAX_HELD_ADDRESSES = 32

export type { NodeStateCode }

/** An address the sender holds, and how: see AdvertisedAddress. */
export type HeldAddress = AdvertisedAddress

export interface Heartbeat {
  /** The sender's node id, 1-32 bytes of UTF-8. */
  node: string
  /** The link the sender sent it on, 1-32 bytes. */
  link: string
  /** The sender's start time, ms since epoch; a new one means the sender restarted. */
  incarnation: number
  /** Per (sender, link), from 1. */
  seq: number
  /** The sender's wall clock, ms since epoch. */
  sentAt: number
  /** The sender's heartbeat interval, 0 to 2^32-1. */
  intervalMs: number
  state: NodeStateCode
  /** Addresses the sender holds right now, at most 32. */
  held: HeldAddress[]
  /**
   * The addresses the sender could serve and is fit for, at most 32 (version 2); null: it says nothing
   * about fitness (version 1). Decoding always sets it; encoding takes it absent as null.
   */
  fit?: string[] | null
}

export type DecodeResult =
  | { ok: true; heartbeat: Heartbeat; keyId: number }
  | { ok: false; reason: DropReason; detail: string }

// The wire codes are the indexes: append only.
const STATES: readonly NodeStateCode[] = ['starting', 'healthy', 'maintenance', 'stopping']
const STATUSES: readonly HeldAddress['status'][] = ['held', 'releasing', 'kept']

const MAGIC = Buffer.from(HEARTBEAT_MAGIC, 'latin1')
const MAC_BYTES = 32
const FIXED_HEADER_BYTES = 36
/** The fixed header, two one-byte names, an empty held list and the MAC. */
export const MIN_PACKET_BYTES = FIXED_HEADER_BYTES + 2 * 2 + 1 + MAC_BYTES
const MAX_U32 = 0xffff_ffff
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Throws RangeError when the heartbeat cannot be encoded faithfully. */
export function encodeHeartbeat(hb: Heartbeat, keys: KeyRing): Buffer {
  const node = nameBytes(hb.node, 'node id')
  const link = nameBytes(hb.link, 'link name')
  const state = STATES.indexOf(hb.state)
  if (state < 0) throw new RangeError(`state "${hb.state}" is not one of ${STATES.join(', ')}`)
  checkInteger(hb.incarnation, 'incarnation', 0, Number.MAX_SAFE_INTEGER)
  checkInteger(hb.seq, 'seq', 1, Number.MAX_SAFE_INTEGER)
  checkInteger(hb.sentAt, 'sentAt', 0, Number.MAX_SAFE_INTEGER)
  checkInteger(hb.intervalMs, 'intervalMs', 0, MAX_U32)
  if (hb.held.length > MAX_HELD_ADDRESSES) {
    throw new RangeError(
      `${hb.held.length} held addresses; a heartbeat carries at most ${MAX_HELD_ADDRESSES}`,
    )
  }
  const held = hb.held.map(heldBytes)
  const fitList = hb.fit ?? null
  if (fitList !== null && fitList.length > MAX_HELD_ADDRESSES) {
    throw new RangeError(`${fitList.length} fit addresses; a heartbeat carries at most ${MAX_HELD_ADDRESSES}`)
  }
  const fit = fitList === null ? [] : [Buffer.of(fitList.length), ...fitList.map(fitBytes)]

  const bodyBytes =
    FIXED_HEADER_BYTES + 2 + node.length + link.length + 1 + sum([...held, ...fit].map((h) => h.length))
  const out = Buffer.alloc(bodyBytes + MAC_BYTES)
  MAGIC.copy(out, 0)
  out.writeUInt8(fitList === null ? 1 : 2, 4)
  out.writeUInt8(keys.signing.id, 5)
  out.writeUInt8(state, 6)
  out.writeUInt8(0, 7)
  out.writeBigUInt64BE(BigInt(hb.incarnation), 8)
  out.writeBigUInt64BE(BigInt(hb.seq), 16)
  out.writeBigUInt64BE(BigInt(hb.sentAt), 24)
  out.writeUInt32BE(hb.intervalMs, 32)
  let offset = FIXED_HEADER_BYTES
  for (const part of [lengthPrefixed(node), lengthPrefixed(link), Buffer.of(held.length), ...held, ...fit]) {
    offset += part.copy(out, offset)
  }
  mac(out.subarray(0, bodyBytes), keys.signing.secret).copy(out, bodyBytes)
  return out
}

/** Never throws: anything that is not a valid, authentic heartbeat is a drop with a reason. */
export function decodeHeartbeat(data: Buffer, keys: KeyRing): DecodeResult {
  try {
    return decode(data, keys)
  } catch (error) {
    if (error instanceof Malformed) return drop('malformed', error.message)
    // A decoder bug must not take the receive loop down; the fuzz properties look for this text.
    return drop('malformed', `decoder error: ${String(error)}`)
  }
}

function decode(data: Buffer, keys: KeyRing): DecodeResult {
  if (data.length > MAX_PACKET_BYTES) {
    return drop('oversized', `packet is ${data.length} bytes; the limit is ${MAX_PACKET_BYTES}`)
  }
  if (data.length < MAGIC.length + 1) {
    return drop('malformed', `packet is ${data.length} bytes; too short for a heartbeat`)
  }
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) {
    return drop('malformed', `packet does not start with "${HEARTBEAT_MAGIC}"`)
  }
  // Before the length and the MAC: another version may be laid out differently.
  const version = data[4]!
  if (version < 1 || version > HEARTBEAT_VERSION) {
    return drop(
      'wrong-version',
      `heartbeat version ${version}; this node speaks versions 1 to ${HEARTBEAT_VERSION}`,
    )
  }
  if (data.length < MIN_PACKET_BYTES) {
    return drop('malformed', `packet is ${data.length} bytes; a heartbeat is at least ${MIN_PACKET_BYTES}`)
  }

  const id = data[5]!
  const body = data.subarray(0, data.length - MAC_BYTES)
  const received = data.subarray(data.length - MAC_BYTES)
  const candidates = keys.accepted.filter((key) => key.id === id)
  if (candidates.length === 0) return drop('bad-mac', `key ${hexByte(id)} is not in the key ring`)
  if (!candidates.some((key) => timingSafeEqual(mac(body, key.secret), received))) {
    return drop('bad-mac', `HMAC does not match key ${hexByte(id)}`)
  }
  return { ok: true, heartbeat: parseBody(body), keyId: id }
}

/** Parses an authenticated body (everything before the MAC); throws Malformed. */
function parseBody(body: Buffer): Heartbeat {
  const r = new Reader(body, 6)
  const stateCode = r.u8()
  const state = STATES[stateCode]
  if (state === undefined) throw new Malformed(`state code ${stateCode} is unknown`)
  const flags = r.u8()
  if (flags !== 0) throw new Malformed(`flags are ${hexByte(flags)}; no version defines any`)
  const incarnation = r.u64('incarnation')
  const seq = r.u64('seq')
  if (seq === 0) throw new Malformed('seq is 0; sequences start at 1')
  const sentAt = r.u64('sentAt')
  const intervalMs = r.u32()
  const node = r.name('node id')
  const link = r.name('link name')
  const count = r.u8()
  if (count > MAX_HELD_ADDRESSES) {
    throw new Malformed(`${count} held addresses; a heartbeat carries at most ${MAX_HELD_ADDRESSES}`)
  }
  const held: HeldAddress[] = []
  for (let i = 0; i < count; i++) held.push(r.heldAddress())
  const fit = body[4] === 2 ? r.fitList() : null
  if (r.offset !== body.length) {
    throw new Malformed(
      `${body.length - r.offset} stray bytes after the last ${fit ? 'fit' : 'held'} address`,
    )
  }
  return { node, link, incarnation, seq, sentAt, intervalMs, state, held, fit }
}

class Malformed extends Error {}

class Reader {
  constructor(
    private readonly data: Buffer,
    public offset: number,
  ) {}

  private take(n: number, what: string): Buffer {
    if (this.offset + n > this.data.length) throw new Malformed(`packet ends inside the ${what}`)
    const bytes = this.data.subarray(this.offset, this.offset + n)
    this.offset += n
    return bytes
  }

  u8(what = 'header'): number {
    return this.take(1, what)[0]!
  }

  u32(): number {
    return this.take(4, 'header').readUInt32BE(0)
  }

  u64(what: string): number {
    const value = this.take(8, what).readBigUInt64BE(0)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed(`${what} ${value} is above 2^53-1`)
    return Number(value)
  }

  name(what: string): string {
    const length = this.u8(what)
    if (length === 0 || length > MAX_NAME_BYTES) {
      throw new Malformed(`${what} is ${length} bytes; it must be 1 to ${MAX_NAME_BYTES}`)
    }
    const bytes = this.take(length, what)
    try {
      return utf8.decode(bytes)
    } catch {
      throw new Malformed(`${what} is not valid UTF-8`)
    }
  }

  heldAddress(): HeldAddress {
    const what = 'held addresses'
    const family = this.u8(what)
    const prefix = this.u8(what)
    const statusCode = this.u8(what)
    if (family !== 4 && family !== 6) throw new Malformed(`address family ${family} is neither 4 nor 6`)
    const max = family === 4 ? 32 : 128
    if (prefix > max) throw new Malformed(`prefix /${prefix} is too long for IPv${family}`)
    const status = STATUSES[statusCode]
    if (status === undefined) throw new Malformed(`address status code ${statusCode} is unknown`)
    const bytes = this.take(family === 4 ? 4 : 16, what)
    return { ip: family === 4 ? [...bytes].join('.') : ipv6Text(bytes), prefix, family, status }
  }

  fitList(): string[] {
    const what = 'fit addresses'
    const count = this.u8(what)
    if (count > MAX_HELD_ADDRESSES) {
      throw new Malformed(`${count} fit addresses; a heartbeat carries at most ${MAX_HELD_ADDRESSES}`)
    }
    const out: string[] = []
    for (let i = 0; i < count; i++) {
      const family = this.u8(what)
      if (family !== 4 && family !== 6) throw new Malformed(`address family ${family} is neither 4 nor 6`)
      const bytes = this.take(family === 4 ? 4 : 16, what)
      out.push(family === 4 ? [...bytes].join('.') : ipv6Text(bytes))
    }
    return out
  }
}

function nameBytes(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  // Buffer.from turns lone surrogates into U+FFFD, which would not round-trip.
  if (bytes.toString('utf8') !== text)
    throw new RangeError(`${what} ${JSON.stringify(text)} is not valid Unicode`)
  if (bytes.length === 0 || bytes.length > MAX_NAME_BYTES) {
    throw new RangeError(
      `${what} ${JSON.stringify(text)} is ${bytes.length} bytes; it must be 1 to ${MAX_NAME_BYTES}`,
    )
  }
  return bytes
}

function heldBytes(a: HeldAddress): Buffer {
  const status = STATUSES.indexOf(a.status)
  if (status < 0) throw new RangeError(`address status "${a.status}" is not one of ${STATUSES.join(', ')}`)
  const address = addressBytes(a)
  checkInteger(a.prefix, `the prefix of ${a.ip}`, 0, address.length * 8)
  return Buffer.concat([Buffer.of(a.family, a.prefix, status), address])
}

function fitBytes(ip: string): Buffer {
  const family = isIPv4(ip) ? 4 : 6
  return Buffer.concat([Buffer.of(family), addressBytes({ ip, family })])
}

function addressBytes(a: { readonly ip: string; readonly family: 4 | 6 }): Buffer {
  if (a.family === 4 && isIPv4(a.ip)) return Buffer.from(a.ip.split('.').map(Number))
  // Zone ids (fe80::1%eth0) mean nothing to the peer and have no bytes on the wire.
  if (a.family === 6 && isIPv6(a.ip) && !a.ip.includes('%')) return ipv6Bytes(normalizeIp(a.ip))
  throw new RangeError(`"${a.ip}" is not an IPv${a.family} address`)
}

/** `normalized` comes from normalizeIp, so it is hex groups around at most one "::", with no dotted tail. */
function ipv6Bytes(normalized: string): Buffer {
  const [head = '', tail] = normalized.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  const out = Buffer.alloc(16)
  ;[...left, ...zeros, ...right].forEach((group, i) => {
    out.writeUInt16BE(Number.parseInt(group, 16), i * 2)
  })
  return out
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16))
  return normalizeIp(groups.join(':'))
}

function lengthPrefixed(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.of(bytes.length), bytes])
}

function checkInteger(value: number, what: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} is ${value}; it must be an integer from ${min} to ${max}`)
  }
}

function mac(body: Buffer, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest()
}

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail }
}

function hexByte(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
