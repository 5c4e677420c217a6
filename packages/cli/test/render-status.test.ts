import type { AgentStatus, IpfoEvent } from '@ipfo/core'
import { describe, expect, it } from 'vitest'
import { renderEvent } from '../src/render/events.js'
import { renderStatus } from '../src/render/status.js'
import { createStyle, PLAIN, visibleText } from '../src/render/style.js'
import { STATUS } from './status-fixture.js'

const status = STATUS

const PLAIN_STATUS = [
  'node b: healthy, up 42s',
  'detection: a peer silent on every link for 300ms is taken over (heartbeat every 100ms on private, public)',
  'holds: nothing',
  '',
  'peer a: ANOMALY (some links silent), says healthy, holds 192.0.2.100/24',
  '  up    private  last heartbeat 52ms ago',
  '  DOWN  public   last heartbeat 2.5s ago',
  '',
  "a's  192.0.2.100/24@eth0                         idle",
  'own  192.0.2.101/24@eth0, 2001:db8::101/64@eth0  held  taken by hand, blocked (release)',
  '',
  'heartbeats: 840 sent, 790 received, dropped 2 bad-mac',
].join('\n')

describe('renderStatus', () => {
  it('with more than two nodes: whom this node hears, a peer heard through another, each order and its holder', () => {
    const a = status.peers[0] as AgentStatus['peers'][number]
    const resource = status.resources[0] as AgentStatus['resources'][number]
    const trio: AgentStatus = {
      ...status,
      peers: [
        {
          ...a,
          anomaly: false,
          alive: true,
          heardVia: 'c',
          links: a.links.map((l) => ({ ...l, up: false })),
        },
        { ...a, id: 'c', anomaly: false, held: [] },
      ],
      hears: ['c'],
      resources: [
        { ...resource, order: ['a', 'b', 'c'], holder: 'a' },
        {
          ...resource,
          owner: 'c',
          addresses: ['192.0.2.103/24@eth0'],
          order: ['c', 'b', 'a'],
          holder: 'c',
          orderMismatch: ["order of c's addresses: c, b, a here, c, a, b on a"],
        },
      ],
    }
    const lines = renderStatus(trio, PLAIN).split('\n')
    expect(lines).toContain('peer a: SILENT HERE, heard through c, says healthy, holds 192.0.2.100/24')
    expect(lines).toContain('hears: c')
    expect(lines).toContain("a's  192.0.2.100/24@eth0  idle  a > b > c  held by a")
    expect(lines).toContain(
      "c's  192.0.2.103/24@eth0  idle  c > b > a  held by c  ORDER MISMATCH: order of c's addresses: c, b, a here, c, a, b on a",
    )
  })

  it('shows each check and, per resource, whether this node is fit and whether any node is', () => {
    const withChecks: AgentStatus = {
      ...status,
      peers: [{ ...(status.peers[0] as AgentStatus['peers'][number]), anomaly: false, fit: [] }],
      resources: [
        {
          ...(status.resources[0] as AgentStatus['resources'][number]),
          fitHere: false,
          failingChecks: ['web'],
          noNodeFit: true,
        },
      ],
      checks: [
        {
          name: 'web',
          kind: 'http',
          passing: false,
          intervalMs: 100,
          last: { ok: false, detail: 'ECONNREFUSED', msAgo: 40 },
          sinceMsAgo: 2_300,
          runs: 412,
          failures: 25,
          requiredBy: ['192.0.2.100'],
        },
        {
          name: 'uplink',
          kind: 'interface',
          passing: true,
          intervalMs: 1000,
          last: null,
          sinceMsAgo: 500,
          runs: 0,
          failures: 0,
          requiredBy: [],
        },
      ],
    }
    const text = renderStatus(withChecks)
    expect(text).toContain('peer a: alive, says healthy, holds 192.0.2.100/24, fit for nothing')
    expect(text).toContain("a's  192.0.2.100/24@eth0  idle  unfit here (web), NO NODE IS FIT")
    expect(text).toContain(
      [
        'checks:',
        '  FAILING  web     http every 100ms        last failed: ECONNREFUSED (40ms ago)  failing since 2.3s ago   25/412 failed',
        '  passing  uplink  interface every 1000ms  not run yet                           passing since 500ms ago  0/0 failed',
      ].join('\n'),
    )
  })

  it('without colour: the exact text, links and addresses in aligned columns', () => {
    expect(renderStatus(status, PLAIN)).toBe(PLAIN_STATUS)
    expect(renderStatus(status)).toBe(PLAIN_STATUS)
  })

  it('with colour: the same text, coloured', () => {
    const colored = renderStatus(status, createStyle(true))
    expect(colored).toContain('\x1b[1m\x1b[31mDOWN\x1b[39m\x1b[22m')
    expect(colored).toContain('\x1b[33mANOMALY (some links silent)\x1b[39m')
    expect(visibleText(colored)).toBe(PLAIN_STATUS)
  })

  it('shows maintenance mode first and last, in reverse video on a terminal', () => {
    const maintenance = { ...status, state: 'maintenance' as const, maintenance: true }
    const plain = renderStatus(maintenance, PLAIN).split('\n')
    expect(plain[0]).toBe(
      '!!! MAINTENANCE MODE: no automatic takeover or failback (ipfo maintenance off) !!!',
    )
    expect(plain[2]).toBe('node b: maintenance, up 42s')
    expect(plain.at(-1)).toBe('maintenance mode is on')
    const colored = renderStatus(maintenance, createStyle(true)).split('\n')
    expect(colored[0]).toBe(
      '\x1b[1m\x1b[33m\x1b[7m MAINTENANCE MODE: no automatic takeover or failback (ipfo maintenance off) \x1b[27m\x1b[39m\x1b[22m',
    )
  })

  it('says which address interfaces have no carrier, under what is held', () => {
    const lines = renderStatus({ ...status, noCarrier: ['eth0'] }, PLAIN).split('\n')
    expect(lines[3]).toBe(
      'NO CARRIER on eth0: its addresses are released here and claimed again once the cable is back and the peers are heard',
    )
  })

  it('says what a freeze of the agent would do to each held address', () => {
    const lifetimes: NonNullable<AgentStatus['lifetimes']> = {
      seconds: 4,
      renewEveryMs: 500,
      addresses: [
        { address: '192.0.2.101/24@eth0', lifetime: 'expiring', leftMs: 3700 },
        { address: '192.0.2.102/24@eth0', lifetime: 'forever', leftMs: null },
      ],
    }
    const text = renderStatus({ ...status, lifetimes }, PLAIN)
    expect(text).toContain(
      'lifetimes, if the agent freezes: 192.0.2.101/24@eth0 ends by itself 4s after the last renewal (every 500ms); 192.0.2.102/24@eth0 forever (no peer would take over)',
    )
    expect(renderStatus({ ...status, lifetimes: { ...lifetimes, addresses: [] } }, PLAIN)).not.toContain(
      'lifetimes',
    )
  })

  it('with a quorum store: the lease and how long it is valid, the keys with their fencing tokens, loudly when not valid', () => {
    const quorum: NonNullable<AgentStatus['quorum']> = {
      valid: true,
      onLoss: 'release',
      leaseId: '7587883',
      validForMs: 3_250,
      endpoints: ['http://10.9.0.1:2379', 'http://10.9.0.2:2379'],
      lastAnswered: 'http://10.9.0.2:2379',
      held: [{ group: 'b', revision: '42' }],
    }
    expect(renderStatus({ ...status, quorum }, PLAIN)).toContain(
      "quorum: valid for 3.3s (lease 7587883); keys held: b's (fencing token 42)\n  etcd http://10.9.0.1:2379, http://10.9.0.2:2379; last answer from http://10.9.0.2:2379",
    )
    expect(renderStatus({ ...status, quorum: { ...quorum, valid: false, held: [] } }, PLAIN)).toContain(
      'quorum: NOT VALID: nothing is held or claimed until it is; keys held: none',
    )
    expect(renderStatus(status, PLAIN)).not.toContain('quorum')
  })

  it('says what the guard would do if the agent died now, and loudly when there is none', () => {
    const guard: NonNullable<AgentStatus['guard']> = {
      pid: 4242,
      restarts: 0,
      handOver: ['192.0.2.101/24@eth0'],
      keep: [],
      lastWordLinks: ['private', 'public'],
    }
    const line = (g: Partial<NonNullable<AgentStatus['guard']>>) =>
      renderStatus({ ...status, guard: { ...guard, ...g } }, PLAIN).split('\n')[3]
    expect(line({ pid: 4242 })).toBe(
      'guard: pid 4242; if the agent dies, it removes 192.0.2.101/24@eth0 and says goodbye on private, public',
    )
    expect(line({ pid: 4242, handOver: [], keep: ['192.0.2.101/24@eth0'], restarts: 2 })).toBe(
      'guard: pid 4242 (started again 2x); if the agent dies, it keeps 192.0.2.101/24@eth0 (no peer could take them)',
    )
    expect(line({ pid: 4242, handOver: [] })).toBe('guard: pid 4242; if the agent dies, it has nothing to do')
    expect(line({ pid: null, restarts: 1 })).toBe(
      'NO GUARD (started again 1x): starting it again; a crash of the agent now would leave its addresses in place',
    )
    expect(renderStatus(status, PLAIN)).not.toContain('guard')
  })

  it('lists hooks the agent refused to run, with the fix', () => {
    const refused = {
      ...status,
      refusedHooks: [
        {
          path: '/etc/ipfo/hooks/PostAcq-web',
          reason: 'writable by others',
          fix: 'chmod go-w /etc/ipfo/hooks/PostAcq-web',
        },
      ],
    }
    expect(renderStatus(refused, PLAIN)).toContain(
      'refused hook /etc/ipfo/hooks/PostAcq-web: writable by others\n  -> chmod go-w /etc/ipfo/hooks/PostAcq-web',
    )
  })
})

describe('renderEvent', () => {
  const lost: IpfoEvent = {
    kind: 'peer-lost',
    peer: 'a',
    silentForMs: 310,
    links: ['private', 'public'],
    time: Date.UTC(2026, 10, 25, 12),
  }
  it('without colour: time, padded kind, description', () => {
    expect(renderEvent(lost, PLAIN)).toBe(
      '2026-11-25T12:00:00.000Z  peer-lost            a lost: silent on every link for 310ms',
    )
  })
  it('with colour: the kind by severity', () => {
    const colored = renderEvent(lost, createStyle(true))
    expect(colored).toContain('\x1b[33mpeer-lost           \x1b[39m')
    expect(visibleText(colored)).toBe(renderEvent(lost, PLAIN))
  })
})
