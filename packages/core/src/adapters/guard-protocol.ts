import { z } from 'zod'
import type { GuardBrief, LastWord } from '../model/ports.js'

/**
 * What the agent tells its guard, one JSON object a line on the guard's stdin. The agent writes it
 * (guard-process.ts); the guard reads it (guard/run-guard.ts). Nothing comes back: the guard speaks
 * only after the agent is gone, in the agent's own log.
 *
 * - `hello`, first: who this node is, where each link's heartbeats go, where to log and to leave a
 *   record of what it did for the restarted agent.
 * - `brief`: what to remove and what to keep (the latest replaces the earlier).
 * - `word`: each link's last word, base64 (the latest replaces the earlier).
 * - `stand-down`: a clean stop; the guard exits doing nothing when the pipe closes.
 */
const address = z.object({
  interface: z.string().min(1),
  ip: z.string().min(1),
  prefix: z.number().int().min(0).max(128),
  family: z.union([z.literal(4), z.literal(6)]),
})

const hello = z.object({
  t: z.literal('hello'),
  node: z.string().min(1),
  platform: z.enum(['linux', 'darwin']),
  links: z.array(
    z.object({
      name: z.string().min(1),
      /** The local address the agent listens on for this link, if the config names one. */
      listen: z.string().optional(),
      targets: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })),
    }),
  ),
  /** The agent's log: a file descriptor (1, stdout, shared with the guard) or a path. */
  log: z.union([z.number().int().min(1), z.string().min(1)]),
  eventLog: z.string().min(1).optional(),
  /** Where the guard leaves `guard-acted.json` for the agent's next start. */
  stateDir: z.string().min(1),
})

const message = z.discriminatedUnion('t', [
  hello,
  z.object({ t: z.literal('brief'), handOver: z.array(address), keep: z.array(address) }),
  z.object({ t: z.literal('word'), words: z.array(z.object({ link: z.string().min(1), data: z.string() })) }),
  z.object({ t: z.literal('stand-down') }),
])

export type GuardHello = z.infer<typeof hello>
export type GuardMessage = z.infer<typeof message>

export const helloLine = (h: Omit<GuardHello, 't'>): string => `${JSON.stringify({ t: 'hello', ...h })}\n`
export const briefLine = (b: GuardBrief): string => `${JSON.stringify({ t: 'brief', ...b })}\n`
export const wordLine = (words: readonly LastWord[]): string =>
  `${JSON.stringify({ t: 'word', words: words.map((w) => ({ link: w.link, data: Buffer.from(w.data).toString('base64') })) })}\n`
export const STAND_DOWN_LINE = `${JSON.stringify({ t: 'stand-down' })}\n`

/** One line read back; throws a message naming the line's problem (a defect: only the agent writes these). */
export function parseGuardLine(line: string): GuardMessage {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new Error(`guard message is not JSON: ${line.slice(0, 80)}`)
  }
  const parsed = message.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(
      `guard message ${issue?.path.join('.') || '(root)'}: ${issue?.message}: ${line.slice(0, 80)}`,
    )
  }
  return parsed.data
}
