import { readFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { createTransport } from 'nodemailer'
import { z } from 'zod'
import { defineHook, type HookDeps, type HookEvent, type NoticeEvent } from '../define-hook.js'
import { durationSchema } from '../duration.js'
import { HookInputError } from '../errors.js'
import { readSecret } from '../sidecar.js'
import { anomalyMail, eventMail, type MailText, noFitMail } from './email-message.js'

export { type AnomalyDetails, anomalyMail, eventHeadline, eventMail, type MailText } from './email-message.js'

export const emailOptions = z
  .strictObject({
    url: z
      .string()
      .regex(
        /^smtps?:\/\/[^/\s]+\/?$/,
        'write "smtp://host:port" (STARTTLS when offered) or "smtps://host:port" (TLS)',
      )
      .optional()
      .describe('The SMTP server.'),
    sendmail: z
      .union([z.boolean(), z.string()])
      .optional()
      .describe('true to hand the mail to the local sendmail, or the path of a sendmail binary.'),
    user: z
      .string()
      .optional()
      .describe('The SMTP login; its password comes from passwordFile or passwordEnv.'),
    passwordFile: z.string().optional().describe('A file (mode 0600) holding the SMTP password.'),
    passwordEnv: z.string().optional().describe('An environment variable holding the SMTP password.'),
    requireTLS: z.boolean().default(false).describe('Refuse to send unless the server offers STARTTLS.'),
    caFile: z
      .string()
      .optional()
      .describe("A PEM file of CA certificates to trust for the server's certificate."),
    from: z.string().optional().describe('The sender; default ipfo@<domain>.'),
    domain: z
      .string()
      .optional()
      .describe(
        'Over SMTP, a bare recipient such as "root" is sent as root@<domain>; default the host name.',
      ),
    to: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe('The recipients; default FAILOVER_EMAIL_RECIPIENT, else root.'),
    timeout: durationSchema.prefault('20s').describe('The time budget for every attempt and retry together.'),
  })
  .superRefine((o, ctx) => {
    if ((o.url === undefined) === (o.sendmail === undefined || o.sendmail === false)) {
      ctx.addIssue({ code: 'custom', message: 'give either "url" (an SMTP server) or "sendmail": true' })
    }
    if (o.passwordFile !== undefined && o.passwordEnv !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['passwordEnv'],
        message: 'give passwordFile or passwordEnv, not both',
      })
    }
    if (o.user !== undefined && o.passwordFile === undefined && o.passwordEnv === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['user'],
        message: 'a user needs "passwordFile" or "passwordEnv"',
      })
    }
  })

export type EmailOptions = z.output<typeof emailOptions>

/** The recipients: the `to` option, else FAILOVER_EMAIL_RECIPIENT (Apple's key), else root. */
export function recipients(options: EmailOptions, event: Pick<HookEvent, 'emailRecipient'>): string[] {
  if (options.to !== undefined) return typeof options.to === 'string' ? [options.to] : options.to
  return [event.emailRecipient ?? 'root']
}

/** Something that sends one message (a nodemailer transporter). */
export interface Mailer {
  sendMail(message: {
    from: string
    to: (string | { name: string; address: string })[]
    subject: string
    text: string
  }): Promise<unknown>
  close(): void
}

/** A nodemailer transporter for the options: SMTP (STARTTLS when offered, or TLS) or local sendmail. */
export async function createMailer(options: EmailOptions, env: HookDeps['env']): Promise<Mailer> {
  if (options.sendmail !== undefined && options.sendmail !== false) {
    const path = typeof options.sendmail === 'string' ? options.sendmail : undefined
    return createTransport({ sendmail: true, newline: 'unix', ...(path && { path }) })
  }
  const url = new URL(options.url!)
  const secure = url.protocol === 'smtps:'
  if (url.username) {
    throw new HookInputError('the SMTP URL holds a user name', {
      hint: 'give it with the "user" option instead',
    })
  }
  const password = await readSecret(
    { file: options.passwordFile, env: options.passwordEnv },
    env,
    'SMTP password',
  )
  const ca = options.caFile ? await readFile(options.caFile, 'utf8') : undefined
  const perAttempt = Math.max(1000, Math.min(options.timeout, 15_000))
  return createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    requireTLS: options.requireTLS,
    connectionTimeout: perAttempt,
    greetingTimeout: perAttempt,
    socketTimeout: perAttempt,
    ...(options.user !== undefined &&
      password !== undefined && { auth: { user: options.user, pass: password } }),
    ...(ca !== undefined && { tls: { ca } }),
  })
}

/** Failures that another attempt cannot fix: a 5xx refusal, bad login, no TLS when required, a bad address. */
const PERMANENT = new Set(['EENVELOPE', 'EAUTH', 'ETLS', 'EMESSAGE'])

/**
 * Sends with retries: the delay doubles from 500 ms after each failure, and no new attempt starts
 * when it could not finish within the budget. Permanent failures are not retried.
 */
export async function sendWithRetry(
  send: () => Promise<unknown>,
  budgetMs: number,
  deps: Pick<HookDeps, 'now' | 'sleep' | 'note'>,
): Promise<{ ok: true; attempts: number } | { ok: false; attempts: number; error: Error }> {
  const start = deps.now()
  let wait = 500
  for (let attempt = 1; ; attempt++) {
    try {
      await send()
      return { ok: true, attempts: attempt }
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught))
      const { responseCode, code } = error as { responseCode?: number; code?: string }
      // An SMTP reply decides (4xx: try again, 5xx: no); otherwise the kind of error does.
      const permanent = responseCode !== undefined ? responseCode >= 500 : PERMANENT.has(code ?? '')
      const left = budgetMs - (deps.now() - start)
      if (permanent || left <= wait) return { ok: false, attempts: attempt, error }
      deps.note(`email: attempt ${attempt} failed (${error.message}); retrying in ${wait} ms`)
      await deps.sleep(wait)
      wait = Math.min(wait * 2, 8000)
    }
  }
}

/** Sends one message to the recipients, with retries within the options' time budget. */
export async function sendMail(
  mail: MailText,
  to: string[],
  options: EmailOptions,
  deps: HookDeps,
  mailer?: Mailer,
): Promise<{ ok: boolean; attempts: number; to: string[]; error?: Error }> {
  const transport = mailer ?? (await createMailer(options, deps.env))
  const domain = options.domain ?? hostname()
  const from = options.from ?? `ipfo@${domain}`
  // sendmail delivers to a bare local name ("root"); SMTP servers want root@domain. nodemailer keeps a
  // bare name only in the object form.
  const qualify = (name: string) =>
    options.url === undefined || name.includes('@') ? name : `${name}@${domain}`
  const rcpt = to.map((address) =>
    address.includes('<') ? address : { name: '', address: qualify(address) },
  )
  const shown = rcpt.map((r) => (typeof r === 'string' ? r : r.address))
  try {
    const sent = await sendWithRetry(
      () => transport.sendMail({ from, to: rcpt, ...mail }),
      options.timeout,
      deps,
    )
    return { ...sent, to: shown }
  } finally {
    transport.close()
  }
}

export const emailHook = defineHook({
  name: 'email',
  description: 'Mails the event, its addresses, detection time and the results of the hooks so far.',
  options: emailOptions,
  async run(event, options, deps) {
    const to = recipients(options, event)
    const mail = eventMail(event)
    const sent = await sendMail(mail, to, options, deps)
    const tries = sent.attempts === 1 ? '' : ` after ${sent.attempts} attempts`
    const who = sent.to.join(', ')
    if (sent.ok) return { ok: true, summary: `mailed ${who}${tries}: ${mail.subject}` }
    return { ok: false, summary: `could not mail ${who}${tries}: ${sent.error?.message ?? 'unknown error'}` }
  },
  async notify(notice, options, deps) {
    const to = recipients(options, notice)
    const mail = noticeMail(notice)
    const sent = await sendMail(mail, to, options, deps)
    const who = sent.to.join(', ')
    if (sent.ok) return { ok: true, summary: `mailed ${who}: ${mail.subject}` }
    return { ok: false, summary: `could not mail ${who}: ${sent.error?.message ?? 'unknown error'}` }
  },
})

/** Apple's "network anomaly" mail for a link anomaly; a plain notice for the other Notify events. */
export function noticeMail(notice: NoticeEvent): MailText {
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : [])
  const node = notice.node ?? hostname()
  if (notice.kind === 'link-anomaly') {
    return anomalyMail({
      node,
      peer: notice.peer ?? 'the peer',
      up: strings(notice.event.up),
      down: strings(notice.event.down),
      time: notice.eventTime ? new Date(notice.eventTime) : new Date(),
    })
  }
  if (notice.kind === 'no-node-fit') {
    return noFitMail({
      node,
      addresses: strings(notice.event.addresses),
      action: String(notice.event.action ?? ''),
      reason: String(notice.event.reason ?? ''),
      time: notice.eventTime ? new Date(notice.eventTime) : new Date(),
    })
  }
  const line = notice.reason ?? notice.kind
  return {
    subject: `[ipfo] ${node}: ${line}`,
    text: `${line}\n\nEvent: ${JSON.stringify(notice.event, null, 2)}\n\n-- \nSent by the ipfo email hook on ${node}.\n`,
  }
}
