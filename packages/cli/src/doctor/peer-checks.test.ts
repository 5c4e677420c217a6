import { type AgentStatus, type IpfoEvent, parseConfig } from '@ipfo/core'
import { describe, expect, it } from 'vitest'
import { checkPeers } from './peer-checks.js'

const config = parseConfig(
  JSON.stringify({
    node: 'b',
    key: 'hb.key',
    interval: '100ms',
    deadAfter: '300ms',
    links: [{ name: 'private', port: 1700, targets: ['10.0.0.1'] }],
    peers: [{ id: 'a', takeover: [{ interface: 'eth0', address: '192.0.2.100/24' }] }],
  }),
  'b.json',
)

type Peer = AgentStatus['peers'][number]
const peer = (over: Partial<Peer> = {}): Peer => ({
  id: 'a',
  alive: true,
  lost: false,
  anomaly: false,
  state: 'healthy',
  incarnation: 1,
  intervalMs: 100,
  clockOffsetMs: 2,
  held: ['192.0.2.100/24'],
  fit: null,
  links: [{ name: 'private', up: true, lastSeenMsAgo: 40 }],
  heardVia: null,
  ...over,
})
const status = (p: Peer, resource: AgentStatus['resources'][number]['status'] = 'idle'): AgentStatus => ({
  node: 'b',
  state: 'healthy',
  maintenance: false,
  incarnation: 1,
  startedAt: '2026-11-25T12:00:00.000Z',
  uptimeMs: 10_000,
  timing: { intervalMs: 100, deadAfterMs: 300, detectionMs: 300 },
  links: ['private'],
  held: [],
  peers: [p],
  resources: [
    {
      owner: 'a',
      addresses: ['192.0.2.100/24@eth0'],
      status: resource,
      sinceMsAgo: 1,
      manual: false,
      heldBack: false,
      blocked: null,
      fitHere: true,
      failingChecks: [],
      noNodeFit: false,
      order: ['a', 'b'],
      holder: null,
      orderMismatch: [],
    },
  ],
  counters: {
    sent: 1,
    received: 1,
    dropped: {},
    loopStalls: 0,
    maxLoopLagMs: 0,
    links: {},
    beatLag: { boundsMs: [0, 1], counts: [1, 0, 0], sumMs: 0 },
  },
  hears: ['a'],
  noCarrier: [],
  refusedHooks: [],
  checks: [],
})
const NOW = 1_800_000_000_000
const dropped = (reason: string, from: string, detail: string, agoMs = 1_000) =>
  ({ kind: 'packet-dropped', reason, from, detail, time: NOW - agoMs }) as IpfoEvent
const byCheck = (results: ReturnType<typeof checkPeers>) =>
  Object.fromEntries(results.map((r) => [r.check, r]))

describe('checkPeers', () => {
  it('passes a peer heard on every link, at the same interval, holding what this node would take over', () => {
    const results = byCheck(checkPeers(config, status(peer()), { events: [], keyIds: [0x3a], now: NOW }))
    expect(results).toMatchObject({
      'a on private': { verdict: 'pass' },
      'a settings': { verdict: 'pass' },
      'a addresses': {
        verdict: 'pass',
        detail: 'holds 192.0.2.100/24, as this node\'s "takeover" for it says',
      },
      'a clock': { verdict: 'pass' },
      'heartbeat key': {
        verdict: 'pass',
        detail: "every peer's heartbeats verify with this node's keys (this node signs with key 0x3a)",
      },
    })
  })

  it('warns of an address the peer holds that this node would not take over, and of one it lacks', () => {
    const extra = byCheck(checkPeers(config, status(peer({ held: ['192.0.2.100/24', '192.0.2.7/24'] }))))
    expect(extra['a addresses']).toMatchObject({
      verdict: 'warn',
      detail: 'a holds 192.0.2.7/24, which this node would not take over if a failed',
    })
    const missing = byCheck(checkPeers(config, status(peer({ held: [] }))))
    expect(missing['a addresses']).toMatchObject({
      verdict: 'warn',
      detail: 'a is healthy but does not hold 192.0.2.100/24, which this node would take over for it',
    })
    // Held here after a takeover: not the owner's config's fault.
    expect(byCheck(checkPeers(config, status(peer({ held: [] }), 'held')))).not.toHaveProperty('a addresses')
  })

  it('fails an order a live peer sees differently, and passes one of three that all agree on', () => {
    const base = status(peer())
    const resource = base.resources[0] as AgentStatus['resources'][number]
    const agreed = byCheck(
      checkPeers(config, { ...base, resources: [{ ...resource, order: ['a', 'b', 'c'] }] }),
    )
    expect(agreed["order of a's addresses"]).toMatchObject({
      verdict: 'pass',
      detail: 'a, b, c, as every live peer says',
    })
    const text = "order of a's addresses: a, b, c here, a, c, b on c"
    const differs = byCheck(
      checkPeers(config, {
        ...base,
        resources: [{ ...resource, order: ['a', 'b', 'c'], orderMismatch: [text] }],
      }),
    )
    expect(differs["order of a's addresses"]).toMatchObject({
      verdict: 'fail',
      detail: `${text}: none of them is taken over here until the configs agree`,
    })
    // A pair has no order to compare.
    expect(byCheck(checkPeers(config, base))).not.toHaveProperty("order of a's addresses")
  })

  it('fails recent heartbeats signed with another key; ignores old drops', () => {
    const silent = peer({
      alive: false,
      state: null,
      held: [],
      links: [{ name: 'private', up: false, lastSeenMsAgo: null }],
    })
    const events = [dropped('bad-mac', '10.0.0.1:1700', 'key 0x5c is not in the key ring')]
    const results = byCheck(checkPeers(config, status(silent), { events, keyIds: [0x3a], now: NOW }))
    expect(results['heartbeat key']).toMatchObject({
      verdict: 'fail',
      detail:
        'heartbeats from 10.0.0.1:1700 (key 0x5c is not in the key ring) are dropped (this node signs with key 0x3a)',
    })
    expect(results['a on private']).toMatchObject({
      verdict: 'warn',
      detail: 'never heard',
      hint: 'check the link, the peer\'s agent, its "links" and any firewall on UDP port 1700 (see "firewall on private")',
    })
    const old = [dropped('bad-mac', '10.0.0.1:1700', 'key 0x5c is not in the key ring', 60_000)]
    expect(
      byCheck(checkPeers(config, status(silent), { events: old, keyIds: [0x3a], now: NOW })),
    ).not.toHaveProperty('heartbeat key')
  })

  it('warns of heartbeats from an unknown node and on a link of another name', () => {
    const events = [
      dropped('unknown-node', '10.0.0.9:1694', 'node "c" is not in peers'),
      dropped('malformed', '10.0.0.1:1700', 'link "backup" is not configured here'),
    ]
    const results = byCheck(checkPeers(config, status(peer()), { events, keyIds: [], now: NOW }))
    expect(results['peer ids']).toMatchObject({
      verdict: 'warn',
      detail: '10.0.0.9:1694: node "c" is not in peers',
    })
    expect(results['link names']).toMatchObject({ verdict: 'warn' })
  })
})
