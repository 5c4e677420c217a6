/** A duration as written in config files and flags: `'250ms'`, `'3s'`, `'1.5s'`, `'2m'`. */
export type DurationString = `${number}${DurationUnit}`
export type DurationUnit = 'ms' | 's' | 'm' | 'h'

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/

/**
 * Parses a duration string into whole milliseconds, or returns an explanation of what is wrong.
 * Parsed once at the edge (config, flags); everything inside ipfo works in milliseconds.
 */
export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const match = PATTERN.exec(text.trim())
  if (!match) {
    return {
      ok: false,
      reason: `"${text}" is not a duration; write a number and a unit, e.g. "20ms", "3s", "2m"`,
    }
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
  if (!Number.isInteger(ms)) {
    return { ok: false, reason: `"${text}" is ${ms} ms; durations must be whole milliseconds` }
  }
  return { ok: true, ms }
}

/** Formats milliseconds the way a person would write them: 30 -> "30ms", 3000 -> "3s", 1500 -> "1.5s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(3)}m`
  return `${+(ms / 3_600_000).toFixed(3)}h`
}
