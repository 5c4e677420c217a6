import { parseDuration as parseCoreDuration } from '@ipfo/core/duration'
import { z } from 'zod'

/** "250ms", "20s", "2m" (or a number of ms) to milliseconds; undefined when it is not one. Same rules as the agent's config. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const parsed = parseCoreDuration(value)
  return parsed.ok ? parsed.ms : undefined
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
