import { createHash, type Hash } from 'node:crypto'
import type { IpfoEvent } from '../../src/model/events.js'

/**
 * What happened, one line per step, hashed as it goes: one seed must give one hash (the
 * determinism test compares them). Only the last lines are kept unless `keepAll`.
 */
export class Trace {
  private readonly hash: Hash = createHash('sha256')
  private readonly lines: string[] = []
  count = 0

  constructor(
    private readonly keep: number,
    private readonly echo?: (line: string) => void,
  ) {}

  line(at: number, who: string, text: string): void {
    const line = `${at.toFixed(3).padStart(11)} ${who.padEnd(2)} ${text}`
    this.hash.update(line)
    this.hash.update('\n')
    this.count++
    this.echo?.(line)
    this.lines.push(line)
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep)
  }

  tail(): readonly string[] {
    return this.lines
  }

  digest(): string {
    return this.hash.digest('hex').slice(0, 16)
  }
}

/** One engine event as a trace line: its kind and the fields that say what it was about. */
export function describeForTrace(e: IpfoEvent): string {
  const { kind, time: _time, ...rest } = e
  const fields = Object.entries(rest)
    .filter(([k]) => !QUIET_FIELDS.has(k))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
  return [kind, ...fields].join(' ')
}

/** Fields that repeat what the line already says or are long: left out of trace lines. */
const QUIET_FIELDS = new Set(['stdout', 'stderr', 'subject', 'detail', 'fix'])
