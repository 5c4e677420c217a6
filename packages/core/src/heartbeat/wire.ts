/**
 * The heartbeat's bytes, field by field: the Writer and Reader codec.ts lays a packet out with, the
 * wire codes, and the limits every count is held to. The layout itself is documented in codec.ts.
 *
 * Both sides work in place on one buffer (no per-field slices or Buffer.concat): a node encodes a
 * heartbeat per link every interval, and decodes every peer's.
 */
import { isIPv4, isIPv6 } from 'node:net'
import type { AdvertisedAddress, NodeStateCode } from '../model/advertised.js'
import { normalizeIp } from '../model/ip.js'

const MAX_NAME_BYTES = 32
/** Held addresses, fit addresses, and the addresses of one order: each list at most this long. */
const MAX_HELD_ADDRESSES = 32
export const MAX_ORDERS = 32
export const MAX_TAKERS = 16
export const MAX_HEARD_PEERS = 32
/** The fit count that means "says nothing about fitness" (version 3). */
const NULL_FIT = 0xff
export const MAX_AGE_MS = 0xffff

// The wire codes are the indexes: append only.
const STATES: readonly NodeStateCode[] = ['starting', 'healthy', 'maintenance', 'stopping']
const STATUSES: readonly AdvertisedAddress['status'][] = ['held', 'releasing', 'kept']

const LONE_SURROGATE = /\p{Cs}/u
const TWO_32 = 2 ** 32
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// ---- Sizes, which also check that a value can be written faithfully (RangeError if not) ----

/** The bytes of a length-prefixed name. */
export function nameSize(text: string, what: string): number {
  // Buffer.byteLength counts a lone surrogate as U+FFFD, which would not round-trip.
  if (LONE_SURROGATE.test(text)) throw new RangeError(`${what} ${JSON.stringify(text)} is not valid Unicode`)
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes === 0 || bytes > MAX_NAME_BYTES) {
    throw new RangeError(
      `${what} ${JSON.stringify(text)} is ${bytes} bytes; it must be 1 to ${MAX_NAME_BYTES}`,
    )
  }
  return 1 + bytes
}

/** The bytes of a count and the held entries after it. */
export function heldListSize(held: readonly AdvertisedAddress[], what: string): number {
  checkCount(held.length, MAX_HELD_ADDRESSES, what)
  let size = 1
  for (const a of held) {
    if (!STATUSES.includes(a.status)) {
      throw new RangeError(`address status "${a.status}" is not one of ${STATUSES.join(', ')}`)
    }
    const bytes = addressLength(a.ip, a.family)
    checkInteger(a.prefix, `the prefix of ${a.ip}`, 0, bytes * 8)
    size += 3 + bytes
  }
  return size
}

/** The bytes of a count and the family-tagged addresses after it; null is the one byte NULL_FIT. */
export function addressListSize(ips: readonly string[] | null, what: string): number {
  if (ips === null) return 1
  checkCount(ips.length, MAX_HELD_ADDRESSES, what)
  let size = 1
  for (const ip of ips) size += 1 + addressLength(ip, familyOf(ip))
  return size
}

export function checkCount(count: number, max: number, what: string): void {
  if (count > max) throw new RangeError(`${count} ${what}; a heartbeat carries at most ${max}`)
}

export function checkInteger(value: number, what: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} is ${value}; it must be an integer from ${min} to ${max}`)
  }
}

export function stateCode(state: NodeStateCode, what = 'state'): number {
  const code = STATES.indexOf(state)
  if (code < 0) throw new RangeError(`${what} "${state}" is not one of ${STATES.join(', ')}`)
  return code
}

function familyOf(ip: string): 4 | 6 {
  return isIPv4(ip) ? 4 : 6
}

function addressLength(ip: string, family: 4 | 6): number {
  if (family === 4 && isIPv4(ip)) return 4
  // Zone ids (fe80::1%eth0) mean nothing to the peer and have no bytes on the wire.
  if (family === 6 && isIPv6(ip) && !ip.includes('%')) return 16
  throw new RangeError(`"${ip}" is not an IPv${family} address`)
}

// ---- Writing: values already sized (so checked), into a buffer of exactly the summed size ----

export class Writer {
  offset = 0
  constructor(readonly out: Buffer) {}

  u8(value: number): void {
    this.out[this.offset++] = value
  }

  u16(value: number): void {
    this.offset = this.out.writeUInt16BE(value, this.offset)
  }

  u32(value: number): void {
    this.offset = this.out.writeUInt32BE(value, this.offset)
  }

  /** A safe integer, as two halves (no BigInt on the sending path). */
  u64(value: number): void {
    const high = Math.floor(value / TWO_32)
    this.u32(high)
    this.u32(value - high * TWO_32)
  }

  name(text: string): void {
    const length = this.out.write(text, this.offset + 1, 'utf8')
    this.out[this.offset] = length
    this.offset += 1 + length
  }

  heldList(held: readonly AdvertisedAddress[]): void {
    this.u8(held.length)
    for (const a of held) {
      this.u8(a.family)
      this.u8(a.prefix)
      this.u8(STATUSES.indexOf(a.status))
      this.address(a.ip, a.family)
    }
  }

  addressList(ips: readonly string[] | null): void {
    this.u8(ips === null ? NULL_FIT : ips.length)
    if (ips === null) return
    for (const ip of ips) {
      const family = familyOf(ip)
      this.u8(family)
      this.address(ip, family)
    }
  }

  private address(ip: string, family: 4 | 6): void {
    if (family === 6) {
      ipv6Bytes(normalizeIp(ip), this.out, this.offset)
      this.offset += 16
      return
    }
    let octet = 0
    for (let i = 0; i < ip.length; i++) {
      const c = ip.charCodeAt(i)
      if (c === 0x2e) {
        this.u8(octet)
        octet = 0
      } else octet = octet * 10 + c - 0x30
    }
    this.u8(octet)
  }
}

/** `normalized` comes from normalizeIp, so it is hex groups around at most one "::", with no dotted tail. */
function ipv6Bytes(normalized: string, out: Buffer, at: number): void {
  const [head = '', tail] = normalized.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  out.fill(0, at, at + 16)
  for (let i = 0; i < left.length; i++) out.writeUInt16BE(Number.parseInt(left[i]!, 16), at + i * 2)
  const rightAt = at + 16 - right.length * 2
  for (let i = 0; i < right.length; i++) out.writeUInt16BE(Number.parseInt(right[i]!, 16), rightAt + i * 2)
}

// ---- Reading: every count and length bounded, every code known, or Malformed ----

export class Malformed extends Error {}

export class Reader {
  constructor(
    private readonly data: Buffer,
    public offset: number,
  ) {}

  /** Where the reader is, for "packet ends inside the <section>". */
  private need(n: number, section: string): number {
    if (this.offset + n > this.data.length) throw new Malformed(`packet ends inside the ${section}`)
    const at = this.offset
    this.offset += n
    return at
  }

  get remaining(): number {
    return this.data.length - this.offset
  }

  u8(section: string): number {
    return this.data[this.need(1, section)]!
  }

  u16(section: string): number {
    return this.data.readUInt16BE(this.need(2, section))
  }

  u32(section: string): number {
    return this.data.readUInt32BE(this.need(4, section))
  }

  u64(what: string, section = what): number {
    const at = this.need(8, section)
    const high = this.data.readUInt32BE(at)
    if (high >= 2 ** 21) {
      throw new Malformed(`${what} ${this.data.readBigUInt64BE(at)} is above 2^53-1`)
    }
    return high * TWO_32 + this.data.readUInt32BE(at + 4)
  }

  /** `whose` follows "state code N" in the message: " of heard peer b". */
  state(section: string, whose = ''): NodeStateCode {
    const code = this.u8(section)
    const state = STATES[code]
    if (state === undefined) throw new Malformed(`state code ${code}${whose} is unknown`)
    return state
  }

  name(what: string, section = what): string {
    const length = this.u8(section)
    if (length === 0 || length > MAX_NAME_BYTES) {
      throw new Malformed(`${what} is ${length} bytes; it must be 1 to ${MAX_NAME_BYTES}`)
    }
    const at = this.need(length, section)
    try {
      return utf8.decode(this.data.subarray(at, at + length))
    } catch {
      throw new Malformed(`${what} is not valid UTF-8`)
    }
  }

  /** A count, then that many held entries; `what` names the list in the count's message. */
  heldList(what: string, section = what): AdvertisedAddress[] {
    const count = this.u8(section)
    if (count > MAX_HELD_ADDRESSES) {
      throw new Malformed(`${count} ${what}; a heartbeat carries at most ${MAX_HELD_ADDRESSES}`)
    }
    const out: AdvertisedAddress[] = []
    for (let i = 0; i < count; i++) {
      const family = this.u8(section)
      const prefix = this.u8(section)
      const statusCode = this.u8(section)
      if (family !== 4 && family !== 6) throw new Malformed(`address family ${family} is neither 4 nor 6`)
      const max = family === 4 ? 32 : 128
      if (prefix > max) throw new Malformed(`prefix /${prefix} is too long for IPv${family}`)
      const status = STATUSES[statusCode]
      if (status === undefined) throw new Malformed(`address status code ${statusCode} is unknown`)
      out.push({ ip: this.address(family, section), prefix, family, status })
    }
    return out
  }

  /** A count, then that many family-tagged addresses; NULL_FIT is null where `nullable`. */
  addressList(what: string, nullable: boolean, section = what): string[] | null {
    const count = this.u8(section)
    if (nullable && count === NULL_FIT) return null
    if (count > MAX_HELD_ADDRESSES) {
      throw new Malformed(`${count} ${what}; a heartbeat carries at most ${MAX_HELD_ADDRESSES}`)
    }
    const out: string[] = []
    for (let i = 0; i < count; i++) {
      const family = this.u8(section)
      if (family !== 4 && family !== 6) throw new Malformed(`address family ${family} is neither 4 nor 6`)
      out.push(this.address(family, section))
    }
    return out
  }

  private address(family: 4 | 6, section: string): string {
    const d = this.data
    if (family === 4) {
      const at = this.need(4, section)
      return `${d[at]}.${d[at + 1]}.${d[at + 2]}.${d[at + 3]}`
    }
    const at = this.need(16, section)
    const groups: string[] = []
    for (let i = 0; i < 16; i += 2) groups.push(d.readUInt16BE(at + i).toString(16))
    return normalizeIp(groups.join(':'))
  }
}
