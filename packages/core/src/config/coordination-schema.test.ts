import { describe, expect, it } from 'vitest'
import { checkConfig } from './load.js'

const BASE = `node: alpha
key: heartbeat.key
links:
  - name: private
    targets: [10.0.0.255]
`

const ENDPOINTS = '[http://10.0.0.1:2379, http://10.0.0.2:2379, http://10.0.0.3:2379]'

function coordination(text: string) {
  const result = checkConfig(`${BASE}${text}`)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.config.coordination
}

function issues(text: string) {
  const result = checkConfig(`${BASE}${text}`)
  if (result.ok) throw new Error('the config was accepted')
  return result.issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`)
}

describe('coordination in the config', () => {
  it('is off when absent', () => {
    expect(coordination('')).toBeUndefined()
  })

  it('fills in the prefix, a 5s lease, a quarter of it as margin and release on quorum loss', () => {
    expect(coordination(`coordination: { kind: etcd, endpoints: ${ENDPOINTS} }\n`)).toEqual({
      kind: 'etcd',
      endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379', 'http://10.0.0.3:2379'],
      prefix: '/ipfo/',
      leaseTtl: 5_000,
      margin: 1_250,
      onQuorumLoss: 'release',
    })
  })

  it('keeps the margin at 500ms or more when left out', () => {
    expect(
      coordination(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, leaseTtl: 2s }\n`),
    ).toMatchObject({
      leaseTtl: 2_000,
      margin: 500,
    })
    expect(
      coordination(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, leaseTtl: 1m }\n`),
    ).toMatchObject({
      leaseTtl: 60_000,
      margin: 15_000,
    })
  })

  it('reads every field written out', () => {
    expect(
      coordination(`coordination:
  kind: etcd
  endpoints: [https://10.0.0.1:2379, "https://[fd00::2]:2379", https://etcd-3.example.net:2379]
  tls: { ca: /etc/ipfo/etcd-ca.pem, cert: /etc/ipfo/alpha.pem, key: /etc/ipfo/alpha-key.pem }
  user: ipfo-alpha
  passwordFile: /etc/ipfo/etcd-password
  prefix: /ipfo/web/
  leaseTtl: 3s
  margin: 700ms
  onQuorumLoss: keep
`),
    ).toEqual({
      kind: 'etcd',
      endpoints: ['https://10.0.0.1:2379', 'https://[fd00::2]:2379', 'https://etcd-3.example.net:2379'],
      tls: { ca: '/etc/ipfo/etcd-ca.pem', cert: '/etc/ipfo/alpha.pem', key: '/etc/ipfo/alpha-key.pem' },
      user: 'ipfo-alpha',
      passwordFile: '/etc/ipfo/etcd-password',
      prefix: '/ipfo/web/',
      leaseTtl: 3_000,
      margin: 700,
      onQuorumLoss: 'keep',
    })
  })

  it('takes tls with a CA alone (etcd without client certificates)', () => {
    expect(
      coordination(
        'coordination: { kind: etcd, endpoints: [https://10.0.0.1:2379], tls: { ca: /etc/ca.pem } }\n',
      ),
    ).toMatchObject({ tls: { ca: '/etc/ca.pem' } })
  })

  it('refuses a kind it does not know, and a missing kind', () => {
    expect(issues('coordination: { kind: etdc, endpoints: [http://10.0.0.1:2379] }\n')).toEqual([
      '6 coordination.kind: the text "etdc" is not one of "etcd"; did you mean "etcd"?',
    ])
    expect(issues('coordination: { endpoints: [http://10.0.0.1:2379] }\n')).toEqual([
      '6 coordination.kind: missing; write one of "etcd", e.g. `kind: etcd`',
    ])
  })

  it('refuses no endpoints, and endpoints that are not http(s) URLs with a port and nothing else', () => {
    expect(issues('coordination: { kind: etcd, endpoints: [] }\n')).toEqual([
      '6 coordination.endpoints: must list at least 1 item',
    ])
    expect(
      issues(`coordination:
  kind: etcd
  endpoints:
    - 10.0.0.1:2379
    - grpc://10.0.0.1:2379
    - http://10.0.0.2
    - http://root:secret@10.0.0.3:2379
    - http://10.0.0.4:2379/v3
`),
    ).toEqual([
      '9 coordination.endpoints[0]: "10.0.0.1:2379" has no scheme; write "https://10.0.0.1:2379" (or "http://10.0.0.1:2379" for etcd without TLS)',
      '10 coordination.endpoints[1]: "grpc://10.0.0.1:2379" is not an http or https URL; etcd\'s client URLs look like "https://10.0.0.1:2379"',
      '11 coordination.endpoints[2]: "http://10.0.0.2" has no port; add etcd\'s client port, e.g. "http://10.0.0.2:2379"',
      '12 coordination.endpoints[3]: "http://root:secret@10.0.0.3:2379" has a user in the URL; drop it and set "user" and "passwordFile" instead',
      '13 coordination.endpoints[4]: "http://10.0.0.4:2379/v3" has a path; etcd\'s client URL is only scheme, host and port: write "http://10.0.0.4:2379"',
    ])
    expect(issues('coordination: { kind: etcd, endpoints: [nothing here] }\n')).toEqual([
      '6 coordination.endpoints[0]: "nothing here" is not a URL; write the member\'s client URL whole, e.g. "https://10.0.0.1:2379"',
    ])
  })

  it('refuses http mixed with https, and tls with http endpoints', () => {
    expect(
      issues('coordination: { kind: etcd, endpoints: [http://10.0.0.1:2379, https://10.0.0.2:2379] }\n'),
    ).toEqual([
      '6 coordination.endpoints: mixes http and https endpoints; the members of one cluster speak one: make them all https (or all http)',
    ])
    expect(
      issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, tls: { ca: /etc/ca.pem } }\n`),
    ).toEqual([
      '6 coordination.tls: tls is for https endpoints: write the endpoints as https:// URLs, or drop tls',
    ])
  })

  it('refuses a client certificate without its key, and a key without its certificate', () => {
    const tls = (fields: string) =>
      issues(`coordination:\n  kind: etcd\n  endpoints: [https://10.0.0.1:2379]\n  tls: { ${fields} }\n`)
    expect(tls('cert: /etc/ipfo/alpha.pem')).toEqual([
      '9 coordination.tls.key: cert and key go together: add key (the private key of the certificate), or drop cert',
    ])
    expect(tls('key: /etc/ipfo/alpha-key.pem')).toEqual([
      '9 coordination.tls.cert: cert and key go together: add cert (the certificate of the key), or drop key',
    ])
  })

  it('refuses user without passwordFile, and passwordFile without user', () => {
    expect(issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, user: ipfo }\n`)).toEqual([
      '6 coordination.passwordFile: user needs passwordFile: add the file holding its password, or drop user (etcd without --auth)',
    ])
    expect(issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, passwordFile: /etc/pw }\n`)).toEqual([
      '6 coordination.user: passwordFile needs user: add the etcd user this node logs in as, or drop passwordFile',
    ])
  })

  it('refuses a prefix that does not start and end with "/", saying what to write', () => {
    const prefix = (value: string) =>
      issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, prefix: "${value}" }\n`)
    expect(prefix('ipfo/web')).toEqual([
      '6 coordination.prefix: "ipfo/web" must start and end with "/", so that one cluster\'s keys never share a prefix with another\'s: write "/ipfo/web/"',
    ])
    expect(prefix('')).toEqual([
      '6 coordination.prefix: "" must start and end with "/", so that one cluster\'s keys never share a prefix with another\'s: write "/ipfo/"',
    ])
  })

  it('refuses a lease TTL that is not whole seconds, or under 2s', () => {
    const ttl = (value: string) =>
      issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, leaseTtl: ${value} }\n`)
    expect(ttl('2500ms')).toEqual([
      '6 coordination.leaseTtl: 2.5s is not whole seconds; etcd leases are whole seconds: write 3s',
    ])
    expect(ttl('1500ms')).toEqual([
      '6 coordination.leaseTtl: 1.5s is not whole seconds; etcd leases are whole seconds: write 2s',
    ])
    expect(ttl('1s')).toEqual([
      '6 coordination.leaseTtl: 1s is too short; etcd refuses leases under 2s at its default timings (its least is 1.5 election timeouts, rounded up): write 2s or more',
    ])
    expect(ttl('2')).toEqual([
      '6 coordination.leaseTtl: expected text, got 2; add a unit, e.g. "2s" or "2ms"',
    ])
  })

  it('refuses a margin of half the TTL or more, and one too small to remove anything in', () => {
    const margin = (value: string) =>
      issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, leaseTtl: 2s, margin: ${value} }\n`)
    expect(margin('1s')).toEqual([
      '6 coordination.margin: margin (1s) must be less than half of leaseTtl (2s); a node would otherwise let go between two renewals: shorten margin (e.g. 500ms, its default) or lengthen leaseTtl',
    ])
    expect(margin('50ms')).toEqual([
      '6 coordination.margin: margin (50ms) leaves no time to remove the addresses before the lease can expire; write 100ms or more (its default is 500ms)',
    ])
    expect(
      coordination(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, leaseTtl: 2s, margin: 999ms }\n`),
    ).toMatchObject({ margin: 999 })
  })

  it('refuses an onQuorumLoss it does not know, and suggests a field name for a typo', () => {
    expect(
      issues(`coordination: { kind: etcd, endpoints: ${ENDPOINTS}, onQuorumLoss: keeep, leaseTTL: 2s }\n`),
    ).toEqual([
      '6 coordination.onQuorumLoss: the text "keeep" is not one of "release", "keep"; did you mean "keep"?',
      '6 coordination.leaseTTL: unknown key "leaseTTL"; did you mean "leaseTtl"?',
    ])
  })
})
