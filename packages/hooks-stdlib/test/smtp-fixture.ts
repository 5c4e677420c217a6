import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  readonly from: string
  readonly to: string[]
  readonly subject: string
  readonly body: string
  readonly secure: boolean
  readonly user: string | undefined
}

export interface SmtpFixture {
  readonly port: number
  readonly received: ReceivedMail[]
  /** RCPT TO commands seen, refused ones included. */
  rcptAttempts: number
  close(): Promise<void>
}

/**
 * A real SMTP server on 127.0.0.1 (random port). `refuse` answers the first RCPT TO commands with the
 * given code; `tls` offers STARTTLS with that key and certificate; `auth` requires that login.
 */
export async function startSmtp(
  opts: {
    refuse?: { code: number; times: number }
    tls?: { key: string; cert: string }
    auth?: { user: string; pass: string }
  } = {},
): Promise<SmtpFixture> {
  const fixture = { port: 0, received: [] as ReceivedMail[], rcptAttempts: 0 } as SmtpFixture
  let refusals = opts.refuse?.times ?? 0
  const server = new SMTPServer({
    logger: false,
    authOptional: opts.auth === undefined,
    ...(opts.tls && { key: opts.tls.key, cert: opts.tls.cert }),
    disabledCommands: [...(opts.tls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    onAuth(auth, _session, callback) {
      if (auth.username === opts.auth?.user && auth.password === opts.auth?.pass)
        callback(null, { user: auth.username })
      else callback(Object.assign(new Error('invalid login'), { responseCode: 535 }))
    },
    onRcptTo(_address, _session, callback) {
      fixture.rcptAttempts += 1
      if (refusals > 0) {
        refusals -= 1
        callback(Object.assign(new Error('try again later'), { responseCode: opts.refuse?.code ?? 451 }))
        return
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const { headers, body } = parseMessage(Buffer.concat(chunks).toString('utf8'))
        fixture.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: headers.subject ?? '',
          body,
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  Object.assign(fixture, {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  })
  return fixture
}

/** Unfolded headers (lower-case names) and the body, quoted-printable decoded. */
function parseMessage(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = raw.slice(split + 4)
  if (headers['content-transfer-encoding']?.toLowerCase() === 'quoted-printable') {
    body = Buffer.from(
      body
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
      'latin1',
    ).toString('utf8')
  }
  return { headers, body: body.replace(/\r\n/g, '\n') }
}
