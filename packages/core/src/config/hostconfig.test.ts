import { describe, expect, it } from 'vitest'
import { ConfigError } from '../model/errors.js'
import { importHostconfig, stringifyConfig } from './hostconfig.js'
import { parseConfig } from './load.js'
import { configSchema } from './schema.js'

const FILE = '/etc/hostconfig'
const OPTS = { file: FILE, keyPath: '/etc/ipfo/heartbeat.key' }

const PRIMARY = `##
# /etc/hostconfig
##
# This file is maintained by the system control panels
##

# Network configuration
HOSTNAME=-AUTOMATIC-
ROUTER=-AUTOMATIC-
AFPSERVER=-YES-
FAILOVER_BCAST_IPS="10.0.0.255 100.0.255.255"
`

const SECONDARY = `# Failover
AFPSERVER=-YES-
FAILOVER_PEER_IP="10.0.0.1"
FAILOVER_PEER_IP_PAIRS="en0:100.0.0.10 en1:100.0.1.10/24"
FAILOVER_EMAIL_RECIPIENT=admin@example.com
`

/** Runs importHostconfig and returns the ConfigError it throws. */
function errorOf(text: string, opts: Parameters<typeof importHostconfig>[1] = OPTS): ConfigError {
  try {
    importHostconfig(text, opts)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('importHostconfig accepted the file')
}

describe('importHostconfig', () => {
  it('turns a primary into one link per FAILOVER_BCAST_IPS address and a peer with no takeover', () => {
    const { config, notes } = importHostconfig(PRIMARY, OPTS)
    expect(config).toEqual({
      node: 'primary',
      key: '/etc/ipfo/heartbeat.key',
      links: [
        { name: 'private', targets: ['10.0.0.255'] },
        { name: 'public', targets: ['100.0.255.255'] },
      ],
      peers: [{ id: 'secondary' }],
    })
    expect(configSchema.safeParse(config).success).toBe(true)
    expect(notes.join('\n')).toMatch(/primary \(heartbeatd\)/)
    expect(notes.join('\n')).toMatch(/ipfo keygen \/etc\/ipfo\/heartbeat.key/)
  })

  it('names links after the second "link3", "link4", ...', () => {
    const text = 'FAILOVER_BCAST_IPS="10.0.0.255 100.0.255.255 10.1.0.255 10.2.0.255"'
    const { config } = importHostconfig(text, OPTS)
    expect(config.links.map((l) => l.name)).toEqual(['private', 'public', 'link3', 'link4'])
  })

  it('turns a secondary into links to the primary and takeover addresses with explicit masks', () => {
    const { config, notes } = importHostconfig(SECONDARY, OPTS)
    expect(config).toEqual({
      node: 'secondary',
      key: '/etc/ipfo/heartbeat.key',
      links: [
        { name: 'private', targets: ['10.0.0.1'] },
        { name: 'public', targets: ['100.0.0.10'] },
      ],
      peers: [
        {
          id: 'primary',
          takeover: [
            { interface: 'en0', address: '100.0.0.10/32' },
            { interface: 'en1', address: '100.0.1.10/24' },
          ],
        },
      ],
      hooks: { emailRecipient: 'admin@example.com' },
    })
    expect(configSchema.safeParse(config).success).toBe(true)
    const text = notes.join('\n')
    expect(text).toMatch(/both nodes send/)
    expect(text).toMatch(/get \/32: Apple's failoverd left the mask to the interface's own rules/)
    expect(text).toMatch(/ipfo hooks add email --address <ip> --phase PostAcq/)
    expect(text).toMatch(/hooks\.emailRecipient/)
  })

  it('leaves out the mask note and the mail note when they do not apply', () => {
    const { notes } = importHostconfig(
      'FAILOVER_PEER_IP=10.0.0.1\nFAILOVER_PEER_IP_PAIRS=en0:100.0.0.10/24\n',
      OPTS,
    )
    expect(notes.join('\n')).not.toMatch(/\/32|hooks add email/)
  })

  it('uses the node ids it is given', () => {
    const { config } = importHostconfig(SECONDARY, { ...OPTS, node: 'mars', peerNode: 'venus' })
    expect(config.node).toBe('mars')
    expect(config.peers?.[0]?.id).toBe('venus')
  })

  it('reads the file as the shell does: export, single quotes, comments after values, later lines win', () => {
    const text = [
      "export FAILOVER_PEER_IP='10.0.0.9'",
      'FAILOVER_PEER_IP=10.0.0.1 # the primary',
      '  FAILOVER_PEER_IP_PAIRS="en0:100.0.0.10"\'\'',
    ].join('\n')
    const { config } = importHostconfig(text, OPTS)
    expect(config.links[0]?.targets).toEqual(['10.0.0.1'])
    expect(config.peers?.[0]?.takeover).toEqual([{ interface: 'en0', address: '100.0.0.10/32' }])
  })

  it('refuses a file without failover keys, naming the keys it expected', () => {
    const error = errorOf('HOSTNAME=-AUTOMATIC-\n# FAILOVER_BCAST_IPS="10.0.0.255"\n')
    expect(error.file).toBe(FILE)
    expect(error.message).toMatch(/FAILOVER_BCAST_IPS .*FAILOVER_PEER_IP and FAILOVER_PEER_IP_PAIRS/)
  })

  it('refuses a file with both roles, or half a secondary', () => {
    expect(errorOf(`${PRIMARY}${SECONDARY}`).message).toMatch(/one role per server/)
    expect(errorOf('FAILOVER_PEER_IP=10.0.0.1').path).toBe('FAILOVER_PEER_IP_PAIRS')
    expect(errorOf('FAILOVER_PEER_IP_PAIRS=en0:100.0.0.10').path).toBe('FAILOVER_PEER_IP')
  })

  it('points at the line of a bad value', () => {
    const error = errorOf('FAILOVER_PEER_IP=10.0.0.1\nFAILOVER_PEER_IP_PAIRS="en0:100.0.0.10 100.0.1.10"\n')
    expect(error.message).toBe(
      `${FILE}:2 FAILOVER_PEER_IP_PAIRS lists "100.0.1.10"; write interface:address[/mask], e.g. "en0:100.0.0.10"`,
    )
    expect(errorOf('FAILOVER_BCAST_IPS="10.0.0.255 broadcast"').message).toMatch(/:1 .*"broadcast"/)
    expect(errorOf('FAILOVER_BCAST_IPS=""').message).toMatch(/is empty/)
  })

  it('refuses node ids the config would reject', () => {
    const error = errorOf(PRIMARY, { ...OPTS, node: 'Primary Server' })
    expect(error.path).toBe('node')
    expect(error.message).toMatch(/node: a node id is 1-32 characters/)
  })
})

describe('stringifyConfig', () => {
  it('writes YAML that parses back, under the notes as comments', () => {
    const { config, notes } = importHostconfig(SECONDARY, OPTS)
    const text = stringifyConfig(config, notes)
    expect(text).toMatch(
      /^# yaml-language-server: \$schema=https:\/\/ipfo.dev\/schema\/config.json\n# - Imported/,
    )
    expect(text.split('\n').every((line) => line.length <= 110)).toBe(true)
    const parsed = parseConfig(text, 'ipfo.yaml')
    expect(parsed.peers[0]?.takeover[1]).toEqual({
      interface: 'en1',
      ip: '100.0.1.10',
      prefix: 24,
      family: 4,
      requires: [],
    })
    expect(parsed.links.map((l) => l.targets)).toEqual([['10.0.0.1'], ['100.0.0.10']])
  })
})
