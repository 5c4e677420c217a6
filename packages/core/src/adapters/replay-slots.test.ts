import { describe, expect, it } from 'vitest'
import {
  decodeFile,
  decodeSlot,
  encodeFile,
  encodeSlot,
  MIN_SLOT_BYTES,
  slotBytesFor,
  slotIndex,
} from './replay-slots.js'

const JSON_A = JSON.stringify({
  nodes: { b: { incarnation: 7, links: { private: { incarnation: 7, seq: 41 } } } },
})

describe('replay marks slots', () => {
  it('reads back what a slot holds, and nothing from a slot cut short or changed', () => {
    const slot = encodeSlot({ gen: 12, json: JSON_A }, MIN_SLOT_BYTES)
    expect(slot.length).toBe(MIN_SLOT_BYTES)
    expect(decodeSlot(slot)).toEqual({ gen: 12, json: JSON_A })
    // A write cut short: the slot's start written, the rest still the old bytes (zeros here).
    const torn = Buffer.alloc(MIN_SLOT_BYTES)
    slot.copy(torn, 0, 0, 80)
    expect(decodeSlot(torn)).toBeUndefined()
    // One byte of the marks changed: the checksum tells.
    const flipped = Buffer.from(slot)
    flipped[slot.indexOf('41')] = '5'.charCodeAt(0)
    expect(decodeSlot(flipped)).toBeUndefined()
    expect(decodeSlot(Buffer.alloc(MIN_SLOT_BYTES))).toBeUndefined()
  })

  it('picks the newest whole slot of the two', () => {
    const older = { gen: 4, json: '{"nodes":{}}' }
    const newer = { gen: 5, json: JSON_A }
    const file = Buffer.concat([encodeSlot(older, 512), encodeSlot(newer, 512)])
    expect(decodeFile(file)).toEqual({ content: newer, slotBytes: 512 })
    // The newer slot torn: the older still stands.
    file.fill(0, 512 + 30, 512 + 60)
    expect(decodeFile(file)).toEqual({ content: older, slotBytes: 512 })
    file.fill(0, 10, 20)
    expect(decodeFile(file)).toBeUndefined()
  })

  it('makes a whole file whose next save goes to the slot not holding the newest marks', () => {
    const file = encodeFile({ gen: 9, json: JSON_A }, 512)
    expect(file.length).toBe(1024)
    expect(decodeFile(file)?.content).toEqual({ gen: 9, json: JSON_A })
    const next = slotIndex(10)
    expect(decodeSlot(file.subarray(next * 512, next * 512 + 512))?.gen).toBe(8)
    expect(slotIndex(10)).not.toBe(slotIndex(11))
  })

  it('sizes slots in powers of two, and refuses marks that do not fit', () => {
    expect(slotBytesFor(100)).toBe(512)
    expect(slotBytesFor(500)).toBe(1024)
    const big = JSON.stringify({ nodes: { x: 'y'.repeat(600) } })
    expect(() => encodeSlot({ gen: 1, json: big }, 512)).toThrow(/do not fit a slot of 512/)
    expect(decodeFile(encodeFile({ gen: 1, json: big }, slotBytesFor(big.length)))?.content.json).toBe(big)
    // Not two slots of a size this code makes: not a marks file.
    expect(decodeFile(Buffer.alloc(1000))).toBeUndefined()
    expect(decodeFile(Buffer.from('{"nodes":{}}'))).toBeUndefined()
  })
})
