import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { selfSignedCert } from '@ipfo/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readHookEvent } from '../src/define-hook.js'
import { emailHook, emailOptions } from '../src/hooks/email.js'
import { runHookMain, systemDeps } from '../src/main.js'
import { parseHookOptions } from '../src/sidecar.js'
import { invocation } from './hook-invocation.js'
import { type SmtpFixture, startSmtp } from './smtp-fixture.js'

let dir: string
let smtp: SmtpFixture | undefined
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-email-'))
})
afterEach(async () => {
  await smtp?.close()
  smtp = undefined
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Runs the hook as its executable would, with the sidecar and contract variables given. */
async function runEmail(
  options: Record<string, unknown>,
  env: Record<string, string>,
  name = 'PostAcq-50-email',
) {
  const sidecar = join(dir, `${name}.json`)
  await writeFile(sidecar, JSON.stringify({ domain: 'b.example.com', ...options }), { mode: 0o600 })
  const lines: string[] = []
  const code = await runHookMain(emailHook, {
    argv: invocation().argv,
    env: { ...env, IPFO_HOOK_OPTIONS_FILE: sidecar },
    deps: { print: (line) => lines.push(line), note: (line) => lines.push(line) },
  })
  return { code, output: lines.join('\n') }
}

describe('email hook against a real SMTP server', () => {
  it('mails FAILOVER_EMAIL_RECIPIENT the event, addresses, detection time and the hooks so far', async () => {
    smtp = await startSmtp()
    const results = join(dir, 'results.jsonl')
    await writeFile(
      results,
      [
        {
          phase: 'PreAcq',
          script: 'PreAcq-10-mount',
          exitCode: 0,
          signal: null,
          durationMs: 120,
          timedOut: false,
        },
        {
          phase: 'PostAcq',
          script: 'PostAcq-20-web',
          exitCode: 3,
          signal: null,
          durationMs: 35,
          timedOut: false,
        },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    )
    const env = invocation({ resultsFile: results, emailRecipient: 'admin@example.com' }).env
    const run = await runEmail({ url: `smtp://127.0.0.1:${smtp.port}`, from: 'ipfo@b.example.com' }, env)

    expect(run.code).toBe(0)
    expect(run.output).toContain('email: mailed admin@example.com')
    expect(smtp.received).toHaveLength(1)
    const mail = smtp.received[0]!
    expect(mail.to).toEqual(['admin@example.com'])
    expect(mail.from).toBe('ipfo@b.example.com')
    expect(mail.subject).toBe('[ipfo] b took over 192.168.1.100/24, fd00::100/64 from a')
    expect(mail.body).toContain('Event:      acquire (PostAcq)')
    expect(mail.body).toContain('Addresses:  192.168.1.100/24 on eth0\n            fd00::100/64 on eth0')
    expect(mail.body).toContain('Reason:     peer a lost')
    expect(mail.body).toContain('Detection:  3000 ms')
    expect(mail.body).toMatch(/PreAcq-10-mount\s+ok\s+120 ms/)
    expect(mail.body).toMatch(/PostAcq-20-web\s+failed \(exit 3\)\s+35 ms/)
  })

  it("as a Notify script, sends Apple's network anomaly mail for a link anomaly", async () => {
    smtp = await startSmtp()
    const event = {
      kind: 'link-anomaly',
      peer: 'a',
      up: ['public'],
      down: ['private'],
      time: Date.UTC(2026, 10, 25, 12),
    }
    const env = {
      IPFO_PHASE: 'Notify',
      IPFO_EVENT: 'link-anomaly',
      IPFO_EVENT_JSON: JSON.stringify(event),
      IPFO_NODE: 'b',
      IPFO_PEER: 'a',
      IPFO_EVENT_TIME: new Date(event.time).toISOString(),
      FAILOVER_EMAIL_RECIPIENT: 'admin@example.com',
    }
    const run = await runEmail({ url: `smtp://127.0.0.1:${smtp.port}` }, env, 'Notify-50-email')
    expect(run.code).toBe(0)
    expect(smtp.received).toHaveLength(1)
    const mail = smtp.received[0]!
    expect(mail.to).toEqual(['admin@example.com'])
    expect(mail.subject).toBe('[ipfo] network anomaly on b: a is silent on private')
    expect(mail.body).toContain('a still sends heartbeats on: public')
    expect(mail.body).toContain('No address was taken over')
  })

  it('as a Notify script, says "no node is fit" for a no-node-fit event, with what was done', async () => {
    smtp = await startSmtp()
    const event = {
      kind: 'no-node-fit',
      owner: 'a',
      addresses: ['192.168.1.100/24'],
      action: 'kept',
      reason: 'web failing',
      time: Date.UTC(2026, 11, 6, 12),
    }
    const env = {
      IPFO_PHASE: 'Notify',
      IPFO_EVENT: 'no-node-fit',
      IPFO_EVENT_JSON: JSON.stringify(event),
      IPFO_NODE: 'a',
      IPFO_EVENT_TIME: new Date(event.time).toISOString(),
      FAILOVER_EMAIL_RECIPIENT: 'admin@example.com',
    }
    const run = await runEmail({ url: `smtp://127.0.0.1:${smtp.port}` }, env, 'Notify-50-email')
    expect(run.code).toBe(0)
    const mail = smtp.received[0]!
    expect(mail.subject).toBe('[ipfo] no node is fit for 192.168.1.100/24')
    expect(mail.body).toContain('They stay on this node, which is unfit too')
    expect(mail.body).toMatch(/Here:\s+web failing/)
  })

  it('sends to root (at the domain) by default and to the "to" option over FAILOVER_EMAIL_RECIPIENT', async () => {
    smtp = await startSmtp()
    const url = `smtp://127.0.0.1:${smtp.port}`
    expect((await runEmail({ url }, invocation().env)).code).toBe(0)
    const env = invocation({ emailRecipient: 'admin@example.com' }).env
    expect((await runEmail({ url, to: ['ops@example.com', 'dba@example.com'] }, env)).code).toBe(0)
    expect(smtp.received.map((m) => m.to)).toEqual([
      ['root@b.example.com'],
      ['ops@example.com', 'dba@example.com'],
    ])
  })

  it('retries with backoff when the server refuses the first attempt', async () => {
    smtp = await startSmtp({ refuse: { code: 451, times: 1 } })
    const run = await runEmail({ url: `smtp://127.0.0.1:${smtp.port}`, timeout: '10s' }, invocation().env)
    expect(run.code).toBe(0)
    expect(run.output).toMatch(/attempt 1 failed .*451.*retrying in 500 ms/)
    expect(run.output).toContain('after 2 attempts')
    expect(smtp.rcptAttempts).toBe(2)
    expect(smtp.received).toHaveLength(1)
  })

  it('does not retry a permanent refusal (5xx) and exits 1', async () => {
    smtp = await startSmtp({ refuse: { code: 550, times: 5 } })
    const run = await runEmail({ url: `smtp://127.0.0.1:${smtp.port}` }, invocation().env)
    expect(run.code).toBe(1)
    expect(run.output).toMatch(/could not mail root@b.example.com: .*550/)
    expect(smtp.rcptAttempts).toBe(1)
  })

  it('gives up within its time budget when every attempt fails', async () => {
    smtp = await startSmtp({ refuse: { code: 421, times: 100 } })
    const started = Date.now()
    const run = await runEmail({ url: `smtp://127.0.0.1:${smtp.port}`, timeout: '2s' }, invocation().env)
    expect(run.code).toBe(1)
    expect(Date.now() - started).toBeLessThan(2500)
    expect(smtp.rcptAttempts).toBeGreaterThanOrEqual(2)
  })

  it('uses STARTTLS, verifying the certificate, and logs in with a password from a file', async () => {
    const tls = selfSignedCert(dir)
    smtp = await startSmtp({ tls, auth: { user: 'ipfo', pass: 's3cret' } })
    const passwordFile = join(dir, 'smtp.pass')
    await writeFile(passwordFile, 's3cret\n', { mode: 0o600 })
    const options = {
      url: `smtp://127.0.0.1:${smtp.port}`,
      requireTLS: true,
      caFile: tls.certFile,
      user: 'ipfo',
      passwordFile,
    }
    const run = await runEmail(options, invocation().env)
    expect(run.output).toContain('mailed root@b.example.com')
    expect(smtp.received[0]).toMatchObject({ secure: true, user: 'ipfo', to: ['root@b.example.com'] })

    await chmod(passwordFile, 0o644)
    const loose = await runEmail(options, invocation().env)
    expect(loose.code).toBe(2)
    expect(loose.output).toContain('can be read by other users (mode 644)')
    expect(loose.output).toContain(`chmod 600 ${passwordFile}`)
  })

  it('reads the password from an environment variable', async () => {
    const tls = selfSignedCert(dir)
    smtp = await startSmtp({ tls, auth: { user: 'ipfo', pass: 'from-env' } })
    const options = {
      url: `smtp://127.0.0.1:${smtp.port}`,
      caFile: tls.certFile,
      user: 'ipfo',
      passwordEnv: 'SMTP_PASSWORD',
    }
    expect((await runEmail(options, { ...invocation().env, SMTP_PASSWORD: 'from-env' })).code).toBe(0)
    expect(smtp.received[0]?.user).toBe('ipfo')
    const missing = await runEmail(options, invocation().env)
    expect(missing.code).toBe(2)
    expect(missing.output).toContain('SMTP_PASSWORD is not set')
  })

  it('refuses to send without TLS when requireTLS is set', async () => {
    smtp = await startSmtp()
    const run = await runEmail(
      { url: `smtp://127.0.0.1:${smtp.port}`, requireTLS: true, timeout: '1s' },
      invocation().env,
    )
    expect(run.code).toBe(1)
    expect(smtp.received).toHaveLength(0)
  })
})

describe('email hook through sendmail', () => {
  it('pipes the message to the sendmail binary with the recipients', async () => {
    const out = join(dir, 'sendmail.out')
    const fake = join(dir, 'fake-sendmail')
    await writeFile(fake, `#!/bin/sh\necho "$@" > ${out}.args\ncat > ${out}\n`, { mode: 0o755 })
    const event = await readHookEvent(invocation().env, invocation().argv)
    const options = parseHookOptions(emailHook, {
      sendmail: fake,
      from: 'ipfo@b',
      to: ['root', 'admin@example.com'],
    })
    const outcome = await emailHook.run(event, options, systemDeps({}))
    expect(outcome.ok).toBe(true)
    const { readFile } = await import('node:fs/promises')
    expect(await readFile(`${out}.args`, 'utf8')).toMatch(/ root admin@example\.com\n$/)
    expect(await readFile(out, 'utf8')).toContain('Subject: [ipfo] b took over')
  })
})

describe('email options', () => {
  it('needs a server or sendmail, and a password reference for a user', () => {
    expect(() => parseHookOptions(emailHook, {})).toThrow(/give either "url".*or "sendmail": true/)
    expect(() => parseHookOptions(emailHook, { url: 'smtp://mx', user: 'ipfo' })).toThrow(
      /user: a user needs/,
    )
    expect(() => parseHookOptions(emailHook, { url: 'http://mx' })).toThrow(/url: write "smtp:\/\/host:port"/)
    expect(emailOptions.parse({ url: 'smtps://mx:465' }).timeout).toBe(20_000)
  })
})
