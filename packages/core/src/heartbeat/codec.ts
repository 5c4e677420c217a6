/**
 * The heartbeat packet: one UDP datagram, big-endian throughout.
 *
 *   offset  size  field
 *   0       4     magic "IPFO"
 *   4       1     version: 1; 2 when the sender tells its fitness; 3 with orders and heard peers (below)
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
 *   ..      1     versions 2 and 3: fit count, 0-32; then per address the sender could serve and is fit
 *                   for (issue 19's health checks): family (4 | 6), 4 or 16 address bytes.
 *                   In version 3 a count of 0xFF is null: says nothing about fitness, as version 1
 *   ..      1     version 3: order count, 0-32; then per order (who may hold one owner's addresses):
 *                   owner: a name as the node id
 *                   1  taker count, 1-16; then that many names, in the order they take over
 *                   1  address count, 0-32; then per address: family (4 | 6), 4 or 16 address bytes
 *   ..      1     version 3: heard count, 0-32; then per peer the sender hears directly:
 *                   node id: a name as the sender's
 *                   2  ageMs: since the sender last heard it, capped at 65535
 *                   8  incarnation: the peer's
 *                   8  sentAt: the peer's, of the heartbeat the detail comes from (the peer's clock)
 *                   1  state: as in the header
 *                   1  flags: bit 0, detail follows; no other bit is defined
 *                   detail: a held list and a fit list (0xFF for null), each as above
 *   end-32  32    HMAC-SHA256 of every preceding byte, with the key named by the key id
 *
 * Version 2 is version 1 with the fit list. A node speaks it only once it has something to say (it has
 * health checks, or something unfit) or has heard a peer speak it, so a cluster without checks sends
 * the same bytes as before and a rolling upgrade mixes versions safely; version 1 says nothing about
 * fitness (see state-machine/fitness.ts for what that means).
 *
 * Version 3 (issue 20: more than two nodes) is version 2 with the orders and the heard peers, so a
 * node that cannot hear a peer directly still learns it is alive and what it holds. The codec writes
 * it whenever a heartbeat has either (a missing one then goes as an empty list); the sender gives
 * them only once it has an order of two or more takers or hears a peer speak 3, so pairs keep sending
 * versions 1 and 2 and a rolling upgrade mixes versions safely here too. The encoder keeps every
 * packet within MAX_PACKET_BYTES: when the whole does not fit it leaves out the heard peers' detail,
 * last peer first (their liveness still goes), and refuses what does not fit even then.
 *
 * The 64-bit fields must hold JS safe integers (below 2^53). Decoding checks size, magic and version,
 * then the HMAC, and only then parses the rest, so unauthenticated bytes are never parsed further.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { AdvertisedAddress, HeardPeer, NodeStateCode, OrderView } from '../model/advertised.js'
import type { DropReason } from '../model/events.js'
import type { KeyRing } from './key-ring.js'
import {
  addressListSize,
  checkCount,
  checkInteger,
  heldListSize,
  MAX_AGE_MS,
  MAX_HEARD_PEERS,
  MAX_ORDERS,
  MAX_TAKERS,
  Malformed,
  nameSize,
  Reader,
  stateCode,
  Writer,
} from './wire.js'

export const HEARTBEAT_MAGIC = 'IPFO'
/** The newest version this node speaks (and reads, with every older one). */
export const HEARTBEAT_VERSION = 3
/** Room for 32 held and 32 fit IPv6 addresses with the longest names, within a 1500-byte MTU. */
export const MAX_PACKET_BYTES = 1400

export type { HeardPeer, NodeStateCode, OrderView }

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
  /**
   * The sender's view of who may hold each owner's addresses, at most 32 (version 3); null: it says
   * nothing (versions 1 and 2). Decoding always sets it; encoding takes it absent as null.
   */
  orders?: OrderView[] | null
  /**
   * The peers the sender hears directly, at most 32 (version 3); null as for orders. Encoding may leave
   * out their detail, last peer first, to stay within MAX_PACKET_BYTES.
   */
  heard?: HeardPeer[] | null
}

export type DecodeResult =
  | { ok: true; heartbeat: Heartbeat; keyId: number }
  | { ok: false; reason: DropReason; detail: string }

const MAGIC = Buffer.from(HEARTBEAT_MAGIC, 'latin1')
const MAC_BYTES = 32
const FIXED_HEADER_BYTES = 36
/** The fixed header, two one-byte names, an empty held list and the MAC. */
export const MIN_PACKET_BYTES = FIXED_HEADER_BYTES + 2 * 2 + 1 + MAC_BYTES
const MAX_U32 = 0xffff_ffff
/** The body's room: the packet less its MAC. */
const MAX_BODY_BYTES = MAX_PACKET_BYTES - MAC_BYTES
const DETAIL = 0x01
/** A heard peer without its detail: name aside, ageMs, incarnation, sentAt, state and flags. */
const HEARD_FIXED_BYTES = 2 + 8 + 8 + 1 + 1
const EMPTY: readonly never[] = []

/**
 * Throws RangeError when the heartbeat cannot be encoded faithfully, or does not fit in
 * MAX_PACKET_BYTES even without the heard peers' detail.
 */
export function encodeHeartbeat(hb: Heartbeat, keys: KeyRing): Buffer {
  let size = FIXED_HEADER_BYTES + nameSize(hb.node, 'node id') + nameSize(hb.link, 'link name')
  const state = stateCode(hb.state)
  checkInteger(hb.incarnation, 'incarnation', 0, Number.MAX_SAFE_INTEGER)
  checkInteger(hb.seq, 'seq', 1, Number.MAX_SAFE_INTEGER)
  checkInteger(hb.sentAt, 'sentAt', 0, Number.MAX_SAFE_INTEGER)
  checkInteger(hb.intervalMs, 'intervalMs', 0, MAX_U32)
  size += heldListSize(hb.held, 'held addresses')
  const fit = hb.fit ?? null
  const v3 = hb.orders != null || hb.heard != null
  const orders = hb.orders ?? EMPTY
  const heard = hb.heard ?? EMPTY
  const version = v3 ? 3 : fit !== null ? 2 : 1
  if (version >= 2) size += addressListSize(fit, 'fit addresses')
  // Heard peers from this index on go without their detail.
  let detailEnd = heard.length
  if (v3) {
    size += ordersSize(orders) + heardSize(heard)
    while (size > MAX_BODY_BYTES && detailEnd > 0) size -= detailSize(heard[--detailEnd]!.detail)
    if (size > MAX_BODY_BYTES) {
      throw new RangeError(
        `heartbeat is ${size + MAC_BYTES} bytes even without the heard peers' detail; the limit is ` +
          `${MAX_PACKET_BYTES} (${orders.length} orders, ${heard.length} heard peers)`,
      )
    }
  }

  const w = new Writer(Buffer.alloc(size + MAC_BYTES))
  w.offset = w.out.write(HEARTBEAT_MAGIC, 0, 'latin1')
  w.u8(version)
  w.u8(keys.signing.id)
  w.u8(state)
  w.u8(0)
  w.u64(hb.incarnation)
  w.u64(hb.seq)
  w.u64(hb.sentAt)
  w.u32(hb.intervalMs)
  w.name(hb.node)
  w.name(hb.link)
  w.heldList(hb.held)
  if (version >= 2) w.addressList(fit)
  if (v3) {
    writeOrders(w, orders)
    writeHeard(w, heard, detailEnd)
  }
  // The sizes above and the writes below must agree, or the MAC would cover a different body.
  if (w.offset !== size) throw new Error(`heartbeat encoder wrote ${w.offset} bytes, not ${size}`)
  mac(w.out.subarray(0, size), keys.signing.secret).copy(w.out, size)
  return w.out
}

function ordersSize(orders: readonly OrderView[]): number {
  checkCount(orders.length, MAX_ORDERS, 'orders')
  let size = 1
  for (const o of orders) {
    size += nameSize(o.owner, 'order owner') + 1
    if (o.takers.length === 0) throw new RangeError(`the order of ${o.owner} lists no takers; at least 1`)
    checkCount(o.takers.length, MAX_TAKERS, `takers in the order of ${o.owner}`)
    for (const taker of o.takers) size += nameSize(taker, `a taker in the order of ${o.owner}`)
    size += addressListSize(o.addresses, `addresses in the order of ${o.owner}`)
  }
  return size
}

function heardSize(heard: readonly HeardPeer[]): number {
  checkCount(heard.length, MAX_HEARD_PEERS, 'heard peers')
  let size = 1
  for (const h of heard) {
    size += nameSize(h.node, 'heard peer') + HEARD_FIXED_BYTES
    // Above the cap is fine (it goes as the cap); only what is not an age at all is refused.
    if (!Number.isInteger(h.ageMs) || h.ageMs < 0) {
      throw new RangeError(`the ageMs of heard peer ${h.node} is ${h.ageMs}; it must be an integer from 0`)
    }
    checkInteger(h.incarnation, `the incarnation of heard peer ${h.node}`, 0, Number.MAX_SAFE_INTEGER)
    checkInteger(h.sentAt, `the sentAt of heard peer ${h.node}`, 0, Number.MAX_SAFE_INTEGER)
    stateCode(h.state, `the state of heard peer ${h.node}`)
    if (h.detail !== null) {
      size += heldListSize(h.detail.held, `held addresses of heard peer ${h.node}`)
      size += addressListSize(h.detail.fit, `fit addresses of heard peer ${h.node}`)
    }
  }
  return size
}

/** What a heard peer's detail adds; checked already by heardSize. */
function detailSize(detail: HeardPeer['detail']): number {
  if (detail === null) return 0
  return heldListSize(detail.held, '') + addressListSize(detail.fit, '')
}

function writeOrders(w: Writer, orders: readonly OrderView[]): void {
  w.u8(orders.length)
  for (const o of orders) {
    w.name(o.owner)
    w.u8(o.takers.length)
    for (const taker of o.takers) w.name(taker)
    w.addressList(o.addresses)
  }
}

function writeHeard(w: Writer, heard: readonly HeardPeer[], detailEnd: number): void {
  w.u8(heard.length)
  for (let i = 0; i < heard.length; i++) {
    const h = heard[i]!
    const detail = i < detailEnd ? h.detail : null
    w.name(h.node)
    w.u16(Math.min(h.ageMs, MAX_AGE_MS))
    w.u64(h.incarnation)
    w.u64(h.sentAt)
    w.u8(stateCode(h.state))
    w.u8(detail === null ? 0 : DETAIL)
    if (detail !== null) {
      w.heldList(detail.held)
      w.addressList(detail.fit)
    }
  }
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
  const version = body[4]!
  const r = new Reader(body, 6)
  const state = r.state('header')
  const flags = r.u8('header')
  if (flags !== 0) throw new Malformed(`flags are ${hexByte(flags)}; no version defines any`)
  const incarnation = r.u64('incarnation')
  const seq = r.u64('seq')
  if (seq === 0) throw new Malformed('seq is 0; sequences start at 1')
  const sentAt = r.u64('sentAt')
  const intervalMs = r.u32('header')
  const node = r.name('node id')
  const link = r.name('link name')
  const held = r.heldList('held addresses')
  const fit = version === 1 ? null : r.addressList('fit addresses', version === 3)
  const orders = version === 3 ? readOrders(r) : null
  const heard = version === 3 ? readHeard(r) : null
  if (r.remaining !== 0) {
    const last = version === 3 ? 'heard peers' : `last ${version === 2 ? 'fit' : 'held'} address`
    throw new Malformed(`${r.remaining} stray bytes after the ${last}`)
  }
  return { node, link, incarnation, seq, sentAt, intervalMs, state, held, fit, orders, heard }
}

function readOrders(r: Reader): OrderView[] {
  const section = 'orders'
  const count = r.u8(section)
  if (count > MAX_ORDERS) throw new Malformed(`${count} orders; a heartbeat carries at most ${MAX_ORDERS}`)
  const orders: OrderView[] = []
  for (let i = 0; i < count; i++) {
    const owner = r.name('order owner', section)
    const takerCount = r.u8(section)
    if (takerCount === 0) throw new Malformed(`order of ${owner} lists no takers; at least 1`)
    if (takerCount > MAX_TAKERS) {
      throw new Malformed(`order of ${owner} lists ${takerCount} takers; at most ${MAX_TAKERS}`)
    }
    const takers: string[] = []
    for (let t = 0; t < takerCount; t++) takers.push(r.name(`a taker in the order of ${owner}`, section))
    const addresses = r.addressList(`addresses in the order of ${owner}`, false, section)!
    orders.push({ owner, takers, addresses })
  }
  return orders
}

function readHeard(r: Reader): HeardPeer[] {
  const section = 'heard peers'
  const count = r.u8(section)
  if (count > MAX_HEARD_PEERS) {
    throw new Malformed(`${count} heard peers; a heartbeat carries at most ${MAX_HEARD_PEERS}`)
  }
  const heard: HeardPeer[] = []
  for (let i = 0; i < count; i++) {
    const node = r.name('heard peer', section)
    const ageMs = r.u16(section)
    const incarnation = r.u64(`the incarnation of heard peer ${node}`, section)
    const sentAt = r.u64(`the sentAt of heard peer ${node}`, section)
    const state = r.state(section, ` of heard peer ${node}`)
    const flags = r.u8(section)
    if ((flags & ~DETAIL) !== 0) {
      throw new Malformed(`heard peer ${node} has flags ${hexByte(flags)}; only bit 0 (detail) is defined`)
    }
    const detail =
      flags === DETAIL
        ? {
            held: r.heldList(`held addresses of heard peer ${node}`, section),
            fit: r.addressList(`fit addresses of heard peer ${node}`, true, section),
          }
        : null
    heard.push({ node, ageMs, incarnation, sentAt, state, detail })
  }
  return heard
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
