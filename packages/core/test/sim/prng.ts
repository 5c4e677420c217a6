/**
 * Seeded pseudo-random numbers (sfc32): the only source of chance in a scenario, so one seed gives
 * one run. Each consumer gets its own stream (`derive`), so that dropping a fault while shrinking
 * does not shift the draws every packet of an unrelated link sees.
 */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number | string) {
    const h = hash32(String(seed))
    this.a = h ^ 0x9e3779b9
    this.b = hash32(`${seed}/b`)
    this.c = hash32(`${seed}/c`)
    this.d = 1
    for (let i = 0; i < 12; i++) this.next()
  }

  /** A new independent stream named `label`, derived from this one's seed material. */
  static derive(seed: number | string, label: string): Prng {
    return new Prng(`${seed}:${label}`)
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return (t >>> 0) / 4294967296
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Log-uniform in [lo, hi]: as likely 10-100 as 100-1000. */
  logBetween(lo: number, hi: number): number {
    return Math.exp(this.between(Math.log(lo), Math.log(hi)))
  }
}

/** FNV-1a over the string's UTF-16 units, finished with a murmur3 mix. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
