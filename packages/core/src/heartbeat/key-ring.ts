import { createHash } from 'node:crypto'

/** A shared secret that signs heartbeats, and the one-byte id packets name it by. */
export interface HeartbeatKey {
  /** 0-255; see keyId(). */
  readonly id: number
  readonly secret: Buffer
}

/** Keys accepted for verifying; the first one signs. Two keys during a rotation. */
export interface KeyRing {
  readonly signing: HeartbeatKey
  readonly accepted: readonly HeartbeatKey[]
}

/** The same floor as the key file reader: a shorter HMAC key is guessable. */
export const MIN_SECRET_BYTES = 16

/**
 * Derived from the secret so both nodes agree on it without configuration. The prefix keeps the id
 * from being a byte of the plain sha256 of the key, which might be shown elsewhere as a fingerprint.
 * Two keys may share an id (1 in 256); the id only picks which keys to try, so that costs an extra HMAC.
 */
export function keyId(secret: Buffer): number {
  return createHash('sha256').update('ipfo heartbeat key id\0').update(secret).digest()[0]!
}

export function heartbeatKey(secret: Buffer): HeartbeatKey {
  return { id: keyId(secret), secret }
}

/** Throws RangeError for a key id outside 0-255 or a secret shorter than MIN_SECRET_BYTES. */
export function keyRing(signing: HeartbeatKey, ...others: HeartbeatKey[]): KeyRing {
  const accepted: HeartbeatKey[] = []
  for (const key of [signing, ...others]) {
    if (!Number.isInteger(key.id) || key.id < 0 || key.id > 255) {
      throw new RangeError(`key id ${key.id} is not a byte (0-255)`)
    }
    if (key.secret.length < MIN_SECRET_BYTES) {
      throw new RangeError(
        `a heartbeat key is ${key.secret.length} bytes; it must be at least ${MIN_SECRET_BYTES}`,
      )
    }
    // The same key listed twice (old == new mid-rotation) would only cost a second HMAC per packet.
    if (!accepted.some((k) => k.id === key.id && k.secret.equals(key.secret))) accepted.push(key)
  }
  return Object.freeze({ signing, accepted: Object.freeze(accepted) })
}
