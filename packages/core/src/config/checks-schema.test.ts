import { describe, expect, it } from 'vitest'
import { checkConfig } from './load.js'

const BASE = `node: alpha
key: heartbeat.key
links:
  - name: private
    targets: [10.0.0.255]
`

function withChecks(
  checks: string,
  owns = '  - { interface: eth0, address: 192.168.1.10/24, requires: [web] }',
) {
  return `${BASE}checks:\n${checks}\nowns:\n${owns}\n`
}

function issues(text: string) {
  const result = checkConfig(text)
  if (result.ok) throw new Error('the config was accepted')
  return result.issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`)
}

describe('checks in the config', () => {
  it('parses every kind with its defaults: 1s interval, timeout = interval, fall 2, rise 2, passing', () => {
    const result = checkConfig(
      withChecks(`  web: { kind: http, url: "http://127.0.0.1:8080/health", interval: 100ms }
  tls: { kind: https, url: "https://127.0.0.1/", expect: [200, 204], bodyMatch: ok, ca: /etc/ipfo/ca.pem }
  db: { kind: tcp, port: 5432, timeout: 300ms }
  script: { kind: exec, argv: [/usr/local/bin/check, --quick], fall: 1, rise: 3, initial: failing }
  uplink: { kind: interface, interface: eth1 }`),
    )
    if (!result.ok) throw new Error(JSON.stringify(result.issues))
    const { checks, owns } = result.config
    expect(checks.web).toEqual({
      kind: 'http',
      url: 'http://127.0.0.1:8080/health',
      expect: [200],
      interval: 100,
      timeout: 100,
      fall: 2,
      rise: 2,
      initial: 'passing',
    })
    expect(checks.tls).toMatchObject({
      kind: 'https',
      expect: [200, 204],
      bodyMatch: 'ok',
      ca: '/etc/ipfo/ca.pem',
    })
    expect(checks.db).toMatchObject({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 5432,
      interval: 1000,
      timeout: 300,
    })
    expect(checks.script).toMatchObject({
      argv: ['/usr/local/bin/check', '--quick'],
      fall: 1,
      rise: 3,
      initial: 'failing',
    })
    expect(checks.uplink).toMatchObject({ kind: 'interface', interface: 'eth1' })
    expect(owns[0]?.requires).toEqual(['web'])
  })

  it('names a required check that does not exist, with the line and the names that do', () => {
    expect(
      issues(
        withChecks(
          '  web: { kind: tcp, port: 80 }',
          '  - { interface: eth0, address: 192.168.1.10/24, requires: [web, wbe] }',
        ),
      ),
    ).toEqual(['9 owns[0].requires[1]: no check is named "wbe": define it under "checks" or use one of: web'])
  })

  it('says how to define a check when there are none', () => {
    expect(
      issues(
        `${BASE}peers:\n  - id: beta\n    takeover:\n      - { interface: eth0, address: 192.168.1.11/24, requires: [web] }\n`,
      ),
    ).toEqual([
      '9 peers[0].takeover[0].requires[0]: no check is named "web": define it under "checks", e.g. checks: { web: { kind: tcp, port: 80 } }',
    ])
  })

  it('refuses a bad URL, a URL of the other kind, and a CA on plain http', () => {
    expect(
      issues(
        withChecks(`  web: { kind: http, url: "127.0.0.1/health" }
  tls: { kind: https, url: "http://127.0.0.1/" }
  ca: { kind: http, url: "http://127.0.0.1/", ca: /x.pem }`),
      ),
    ).toEqual([
      '7 checks.web.url: "127.0.0.1/health" is not a URL; write it whole, e.g. "http://127.0.0.1/health"',
      '8 checks.tls.url: a https check needs a https:// URL, not "http://": change the URL or the kind',
      '9 checks.ca.ca: ca is for https checks: drop it, or make the check kind "https" with an https:// URL',
    ])
  })

  it("refuses intervals below the kind's floor and a timeout longer than the interval", () => {
    expect(
      issues(
        withChecks(`  web: { kind: tcp, port: 80, interval: 20ms }
  script: { kind: exec, argv: [/bin/true], interval: 50ms }
  slow: { kind: tcp, port: 80, interval: 100ms, timeout: 200ms }`),
      ),
    ).toEqual([
      '7 checks.web.interval: 20ms is too short for a tcp check; the shortest is 50ms',
      '8 checks.script.interval: 50ms is too short for an exec check; the shortest is 100ms',
      '9 checks.slow.timeout: timeout (200ms) is longer than interval (100ms); a run must end before the next is due: shorten timeout or lengthen interval',
    ])
  })

  it('wants an exec program as an absolute path, and a known kind', () => {
    expect(
      issues(
        withChecks(`  web: { kind: exec, argv: [check-haproxy] }
  odd: { kind: ping, host: x }`),
      ),
    ).toEqual([
      '7 checks.web.argv[0]: "check-haproxy" is not an absolute path; checks run without a shell and with a fixed PATH: write the program\'s full path, e.g. "/usr/local/bin/check-haproxy"',
      expect.stringMatching(/^8 checks\.odd\.kind: /),
    ])
  })

  it('refuses a check name that is not a plain name', () => {
    expect(issues(withChecks('  "Web Server": { kind: tcp, port: 80 }'))[0]).toBe(
      '7 checks["Web Server"]: "Web Server" is not a check name: 1-32 characters, lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
    )
  })
})
