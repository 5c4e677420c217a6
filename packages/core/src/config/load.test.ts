import { describe, expect, it } from 'vitest'
import { ConfigError } from '../model/errors.js'
import { checkConfig, formatIssues, parseConfig, readablePath } from './load.js'

const FILE = '/etc/ipfo/config.yaml'

const GOOD = `node: alpha
key: heartbeat.key
interval: 250ms
deadAfter: 1s
links:
  - name: private
    targets: [10.0.0.255]
  - name: public
    targets: ["192.168.1.255:1700"]
owns:
  - { interface: eth0, address: 192.168.1.10/24 }
peers:
  - id: beta
    takeover:
      - { interface: eth0, address: 192.168.1.11/24 }
`

/** Runs parseConfig and returns the ConfigError it throws. */
function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, FILE)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('parseConfig accepted the config')
}

describe('parseConfig', () => {
  it('parses YAML into durations in ms and parsed addresses, with defaults', () => {
    const config = parseConfig(GOOD, FILE)
    expect(config).toMatchObject({
      node: 'alpha',
      key: 'heartbeat.key',
      port: 1694,
      interval: 250,
      deadAfter: 1000,
      owns: [{ interface: 'eth0', ip: '192.168.1.10', prefix: 24, family: 4 }],
      failback: { policy: 'auto', stableFor: 30_000, claimTimeout: 32_000 },
      announce: { count: 3, interval: 100 },
      onStop: 'release',
    })
    expect(config.peers[0]?.takeover[0]).toEqual({
      interface: 'eth0',
      ip: '192.168.1.11',
      prefix: 24,
      family: 4,
      requires: [],
    })
    expect(config.checks).toEqual({})
    expect(config.onAllUnfit).toBe('keep')
  })

  it('parses JSON', () => {
    const json = JSON.stringify({
      node: 'alpha',
      key: 'k',
      links: [{ name: 'private', targets: ['10.0.0.2'] }],
    })
    expect(parseConfig(json, 'config.json')).toMatchObject({ node: 'alpha', interval: 1000, deadAfter: 3000 })
  })

  it('lists every problem in one error, in file order, with lines and readable paths', () => {
    const error = errorOf(`node: alpha
key: heartbeat.key
port: "1694"
deadafter: 3s
links:
  - name: private
    tagrets: [10.0.0.2]
peers:
  - id: beta
    takeover:
      - interface: eth0
        address: 10.0.0.300/24
      - interface: eth1
`)
    expect(error.message).toBe(
      [
        `${FILE}: 6 problems`,
        `  ${FILE}:3 port: expected a number, got the text "1694"; write 1694 without quotes`,
        `  ${FILE}:4 deadafter: unknown key "deadafter"; did you mean "deadAfter"?`,
        `  ${FILE}:6 links[0].targets: missing. The addresses heartbeats are sent to on this link. Add e.g. \`targets: [10.0.0.255]\`.`,
        `  ${FILE}:7 links[0].tagrets: unknown key "tagrets"; did you mean "targets"?`,
        `  ${FILE}:12 peers[0].takeover[0].address: "10.0.0.300/24" is not an IP address; write e.g. "192.168.1.10/24" or "fd00::10/64"`,
        `  ${FILE}:13 peers[0].takeover[1].address: missing. The address with its prefix, e.g. "192.168.1.100/24" or "fd00::100/64". Add e.g. \`address: 192.168.1.100/24\`.`,
      ].join('\n'),
    )
    expect(error.file).toBe(FILE)
    expect(error.path).toBe('port')
    expect(error.hint).toMatch(/ipfo config schema/)
  })

  it("refuses a claim timeout the holder's stable failback could race, and says the least that works", () => {
    const stable = `${GOOD}failback:\n  policy: stable\n  stableFor: 2s\n  claimTimeout: 2s\n`
    expect(errorOf(stable).message).toBe(
      `${FILE}: 1 problem\n  ${FILE}:19 failback.claimTimeout: claimTimeout (2s) must be at least stableFor (2s) plus twice deadAfter (1s): a returning owner would otherwise force its claim just as the holder gives the address back on its own, and both would hold it; set claimTimeout to 4s or more, or leave it out (that is its default)`,
    )
    expect(
      parseConfig(stable.replace('claimTimeout: 2s', 'claimTimeout: 4s'), FILE).failback.claimTimeout,
    ).toBe(4_000)
    // Left out, it is the least that works, and never under 30 s.
    const derived = (text: string) =>
      parseConfig(`${GOOD}failback:\n  policy: stable\n${text}`, FILE).failback
    expect(derived('')).toMatchObject({ stableFor: 30_000, claimTimeout: 32_000 })
    expect(derived('  stableFor: 2m\n')).toMatchObject({ stableFor: 120_000, claimTimeout: 122_000 })
    expect(derived('  stableFor: 2s\n')).toMatchObject({ stableFor: 2_000, claimTimeout: 30_000 })
  })

  it('says "1 problem" for one', () => {
    expect(errorOf(GOOD.replace('interval: 250ms', 'interval: 4ms')).message).toBe(
      `${FILE}: 1 problem\n  ${FILE}:3 interval: 4ms is too short; the shortest interval is 5ms (with scheduling.realtimePriority; 10ms without)`,
    )
  })

  it('takes an interval under 10ms only with scheduling.realtimePriority, and says why', () => {
    const fast = GOOD.replace('interval: 250ms', 'interval: 5ms').replace(/deadAfter: \S+/, 'deadAfter: 15ms')
    const message = errorOf(fast).message
    expect(message).toContain(`${FILE}:3 interval: 5ms needs scheduling.realtimePriority:`)
    expect(message).toContain('takes its addresses while it is alive')
    expect(message).toContain('or make interval 10ms or more')
    expect(parseConfig(`${fast}scheduling:\n  realtimePriority: 1\n`, FILE)).toMatchObject({
      interval: 5,
      deadAfter: 15,
      scheduling: { realtimePriority: 1 },
    })
  })

  it('lists the keys of the level when an unknown key is not near any', () => {
    const error = errorOf(`${GOOD}failback:\n  sticky: true\n`)
    expect(error.message).toContain(
      'failback.sticky: unknown key "sticky"; the keys here are policy, stableFor, claimTimeout',
    )
    expect(error.path).toBe('failback.sticky')
  })

  it('says which kinds there are when a kind matches no branch, and what to write when it is missing', () => {
    expect(errorOf(`${GOOD}checks:\n  web: { kind: tpc, port: 80 }\n`).message).toContain(
      'checks.web.kind: the text "tpc" is not one of "tcp", "http", "https", "exec", "interface"; did you mean "tcp"?',
    )
    expect(errorOf(`${GOOD}checks:\n  web: { port: 80 }\n`).message).toContain(
      'checks.web.kind: missing; write one of "tcp", "http", "https", "exec", "interface", e.g. `kind: tcp`',
    )
  })

  it('suggests the nearest option of an enum', () => {
    expect(errorOf(`${GOOD}onStop: relase\n`).message).toContain(
      'onStop: the text "relase" is not one of "release", "keep"; did you mean "release"?',
    )
  })

  it('says what type was expected and what was written', () => {
    const message = errorOf(
      GOOD.replace('targets: [10.0.0.255]', 'targets: 10.0.0.255').replace('1s', '3'),
    ).message
    expect(message).toContain('links[0].targets: expected a list, got the text "10.0.0.255"; write a list')
    expect(message).toContain('deadAfter: expected text, got 3; add a unit, e.g. "3s" or "3ms"')
  })

  it('leaves the line out for a missing top-level field, and explains an empty file', () => {
    expect(errorOf('node: alpha\nkey: k\n').message).toBe(
      `${FILE}: 1 problem\n  ${FILE} links: missing. The heartbeat links; two on separate networks avoid false takeovers. Add e.g. \`links: [{ name: private, targets: [10.0.0.255] }]\`.`,
    )
    expect(errorOf('# nothing yet\n').message).toContain(
      'got an empty file; a config needs at least node, key and links',
    )
  })

  it('reports YAML syntax errors with line and column', () => {
    const error = errorOf('node: alpha\nlinks: [\n  { name: private\n')
    expect(error.message).toMatch(new RegExp(`^${FILE}: \\d+ problems?\\n  ${FILE}:\\d+:\\d+ `))
    expect(error.path).toBeUndefined()
  })

  it('reports duplicate keys as the YAML error they are', () => {
    expect(errorOf('node: alpha\nnode: beta\n').message).toContain(`${FILE}:2:1 Map keys must be unique`)
  })
})

describe('checkConfig', () => {
  it('returns issues as data', () => {
    expect(checkConfig(GOOD.replace('node: alpha', 'node: Alpha'))).toEqual({
      ok: false,
      issues: [
        {
          path: 'node',
          line: 1,
          message:
            'the text "Alpha" does not fit: a node id is 1-32 characters: lower-case letters, digits, ".", "_" or "-", starting with a letter or digit',
        },
      ],
    })
  })
})

describe('formatIssues', () => {
  it('indents the continuation lines of a message', () => {
    expect(formatIssues('c.yaml', [{ path: '', line: 2, col: 5, message: 'bad\nsource\n^' }])).toBe(
      'c.yaml: 1 problem\n  c.yaml:2:5 bad\n    source\n    ^',
    )
  })
})

describe('readablePath', () => {
  it.each([
    [['peers', 0, 'takeover', 1, 'address'], 'peers[0].takeover[1].address'],
    [['links', 2], 'links[2]'],
    [['$schema'], '$schema'],
    [['failback', 'odd key'], 'failback["odd key"]'],
    [[], ''],
  ])('writes %j as %s', (keys, text) => {
    expect(readablePath(keys)).toBe(text)
  })
})
