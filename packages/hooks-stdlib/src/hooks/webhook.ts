import { z } from 'zod'
import { defineHook, type HookDeps, type HookEvent } from '../define-hook.js'
import { durationSchema } from '../duration.js'
import { readSecret } from '../sidecar.js'
import { eventHeadline } from './email-message.js'
import { logRecord } from './log.js'

export const webhookOptions = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\//, 'an http:// or https:// URL')
      .describe('Where to POST the event.'),
    tokenFile: z.string().optional().describe('A file (mode 0600) holding a bearer token.'),
    tokenEnv: z.string().optional().describe('An environment variable holding a bearer token.'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Extra request headers (never Authorization: use tokenFile or tokenEnv).'),
    timeout: durationSchema.prefault('10s').describe('How long the request may take.'),
  })
  .refine((o) => o.tokenFile === undefined || o.tokenEnv === undefined, {
    message: 'give tokenFile or tokenEnv, not both',
    path: ['tokenEnv'],
  })

export type WebhookOptions = z.output<typeof webhookOptions>

/**
 * The request body: `text` (a one-line headline, which Slack, Mattermost and Teams-style incoming
 * webhooks show as is) and `event`, the same record the log hook writes.
 */
export function webhookBody(event: HookEvent, now: number): { text: string; event: Record<string, unknown> } {
  return { text: `[ipfo] ${eventHeadline(event)}`, event: logRecord(event, now) }
}

/** POSTs the body as JSON with a timeout; any non-2xx answer is a failure. */
export async function postEvent(
  body: unknown,
  options: WebhookOptions,
  deps: Pick<HookDeps, 'fetch' | 'env'>,
): Promise<{ ok: boolean; summary: string }> {
  const token = await readSecret(
    { file: options.tokenFile, env: options.tokenEnv },
    deps.env,
    'webhook token',
  )
  const headers: Record<string, string> = { ...options.headers, 'content-type': 'application/json' }
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const where = new URL(options.url).origin
  try {
    const response = await deps.fetch(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeout),
    })
    await response.arrayBuffer().catch(() => undefined)
    if (!response.ok)
      return { ok: false, summary: `${where} answered HTTP ${response.status} ${response.statusText}` }
    return { ok: true, summary: `posted to ${where} (HTTP ${response.status})` }
  } catch (error) {
    const name = (error as Error).name
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { ok: false, summary: `${where} did not answer within ${options.timeout} ms` }
    }
    const cause = (error as { cause?: Error }).cause
    return { ok: false, summary: `cannot post to ${where}: ${cause?.message ?? (error as Error).message}` }
  }
}

export const webhookHook = defineHook({
  name: 'webhook',
  description: 'POSTs the event as JSON, for chat tools and incident systems.',
  options: webhookOptions,
  async run(event, options, deps) {
    return postEvent(webhookBody(event, deps.now()), options, deps)
  },
})
