import { crc32 } from 'node:zlib'

/**
 * The replay marks' file: two slots of equal size, written in turn, each a line saying what it
 * holds, then that JSON, then blanks to the slot's end:
 *
 *     ipfo-replay-marks 1 gen=41 len=152 crc=1c2d3e4f
 *     {"nodes":{...}}
 *
 * A save writes one slot in place (one positioned write to a file kept open), never the slot holding
 * the newest marks: a write cut short spoils only the slot it was writing, and the other still holds
 * the marks before it. The reader takes the intact slot with the higher generation.
 */
const MAGIC = 'ipfo-replay-marks 1'
const HEADER = /^ipfo-replay-marks 1 gen=(\d+) len=(\d+) crc=([0-9a-f]{8})\n/
/** The header's longest form (gen and len of up to 15 digits), so a slot size can be chosen up front. */
const HEADER_MAX = `${MAGIC} gen=${'9'.repeat(15)} len=${'9'.repeat(15)} crc=ffffffff\n`.length
/** The smallest slot: a cluster of a few nodes fits, and a file of two is one 1 KiB block. */
export const MIN_SLOT_BYTES = 512

export interface SlotContent {
  readonly gen: number
  readonly json: string
}

/** The slot size for JSON of `jsonBytes`: a power of two, at least MIN_SLOT_BYTES. */
export function slotBytesFor(jsonBytes: number): number {
  let size = MIN_SLOT_BYTES
  while (size < HEADER_MAX + jsonBytes) size *= 2
  return size
}

/** One slot's bytes; throws if the JSON does not fit in `slotBytes` (see `slotBytesFor`). */
export function encodeSlot(content: SlotContent, slotBytes: number): Buffer {
  const body = Buffer.from(content.json, 'utf8')
  const header = `${MAGIC} gen=${content.gen} len=${body.length} crc=${crc32(body).toString(16).padStart(8, '0')}\n`
  if (header.length + body.length > slotBytes)
    throw new Error(`replay marks of ${body.length} bytes do not fit a slot of ${slotBytes}`)
  const slot = Buffer.alloc(slotBytes, '\n')
  slot.write(header, 0, 'latin1')
  body.copy(slot, header.length)
  return slot
}

/** Where generation `gen` is written: the slots take turns. */
export function slotIndex(gen: number): 0 | 1 {
  return gen % 2 === 0 ? 0 : 1
}

/**
 * A whole file (a new one, or one whose slots grew): `content` in its slot, and the same marks as
 * the generation before in the other, so that the next save, in place, overwrites that one.
 */
export function encodeFile(content: SlotContent, slotBytes: number): Buffer {
  const slots = [content, { ...content, gen: content.gen - 1 }]
    .sort((x, y) => slotIndex(x.gen) - slotIndex(y.gen))
    .map((c) => encodeSlot(c, slotBytes))
  return Buffer.concat(slots)
}

/** What one slot holds, or undefined when it is not whole (torn, zeroed, not a slot). */
export function decodeSlot(slot: Buffer): SlotContent | undefined {
  const head = slot.subarray(0, Math.min(slot.length, HEADER_MAX)).toString('latin1')
  const match = HEADER.exec(head)
  if (!match) return undefined
  const gen = Number(match[1])
  const len = Number(match[2])
  const start = match[0].length
  if (!Number.isSafeInteger(gen) || start + len > slot.length) return undefined
  const body = slot.subarray(start, start + len)
  if (crc32(body).toString(16).padStart(8, '0') !== match[3]) return undefined
  return { gen, json: body.toString('utf8') }
}

/**
 * The newest whole slot of a file, with the slot size the file has, or undefined when neither slot
 * is whole or the file is not two equal slots of a size `slotBytesFor` gives.
 */
export function decodeFile(file: Buffer): { content: SlotContent; slotBytes: number } | undefined {
  const slotBytes = file.length / 2
  if (!Number.isInteger(slotBytes) || slotBytes < MIN_SLOT_BYTES || (slotBytes & (slotBytes - 1)) !== 0)
    return undefined
  const slots = [file.subarray(0, slotBytes), file.subarray(slotBytes)].map(decodeSlot)
  const newest = slots.reduce<SlotContent | undefined>(
    (best, s) => (s && (!best || s.gen > best.gen) ? s : best),
    undefined,
  )
  return newest && { content: newest, slotBytes }
}
