import { z } from 'zod'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 }

/** "250ms", "20s", "2m" (or a number of ms) to milliseconds; undefined when it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim())
  if (!match) return undefined
  return Math.round(Number(match[1]) * (UNITS[match[2]!] ?? 1))
}

/** A sidecar duration: written "20s", read as ms. Use `.prefault("20s")` for a default. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value)
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a duration; write e.g. "500ms", "20s" or "2m"`,
    })
    return z.NEVER
  }
  return ms
})
