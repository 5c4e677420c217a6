import { z } from 'zod'
import { parseDuration } from '../model/duration.js'

/** A config field written as a duration ("20ms", "3s", "2m"), parsed to milliseconds. */
export const duration = (description: string) =>
  z
    .string()
    .describe(`${description} A duration such as "20ms", "3s" or "2m".`)
    .transform((text, ctx) => {
      const parsed = parseDuration(text)
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.reason })
        return z.NEVER
      }
      return parsed.ms
    })
