import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { heartbeatKey, keyId, keyRing } from './key-ring.js'

const secret = Buffer.alloc(32, 7)

describe('keyId', () => {
  it('is one byte that both nodes derive the same way from the secret', () => {
    const expected = createHash('sha256').update('ipfo heartbeat key id\0').update(secret).digest()[0]
    expect(keyId(Buffer.from(secret))).toBe(expected)
  })

  it('tells most keys apart', () => {
    const ids = new Set(Array.from({ length: 64 }, (_, i) => keyId(Buffer.alloc(32, i))))
    expect(ids.size).toBeGreaterThan(48)
  })
})

describe('keyRing', () => {
  const current = heartbeatKey(secret)
  const previous = heartbeatKey(Buffer.alloc(32, 8))

  it('signs with the first key and accepts all, the first first', () => {
    expect(keyRing(current, previous)).toEqual({ signing: current, accepted: [current, previous] })
  })

  it('lists a key given twice once', () => {
    expect(keyRing(current, heartbeatKey(Buffer.from(secret))).accepted).toHaveLength(1)
  })

  it.each([
    [
      'a secret shorter than 16 bytes',
      { id: 1, secret: Buffer.alloc(15) },
      /15 bytes; it must be at least 16/,
    ],
    ['a key id above 255', { id: 256, secret }, /key id 256/],
    ['a negative key id', { id: -1, secret }, /key id -1/],
  ])('refuses %s', (_, key, message) => {
    expect(() => keyRing(current, key)).toThrow(message)
  })
})
