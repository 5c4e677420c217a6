import promClient from 'prom-client'
import { createMeter, type Meter } from '../../src/agent/metrics/meter.js'
import { checkConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import { type AgentStatus, BEAT_LAG_BOUNDS_MS } from '../../src/engine/status.js'

/** A pair on two links: a owns one address, takes over two of b's, one health check, quorum on etcd. */
export const METRICS_CONFIG_TEXT = `node: a
key: heartbeat.key
interval: 100ms
deadAfter: 300ms
links:
  - name: private
    targets: [10.0.0.2]
  - name: public
    targets: [192.168.1.2]
owns:
  - { interface: eth0, address: 192.168.1.100/24, requires: [web] }
peers:
  - id: b
    takeover:
      - { interface: eth0, address: 192.168.1.101/24 }
      - { interface: eth1, address: "fd00::101/64" }
checks:
  web: { kind: tcp, port: 80 }
coordination:
  kind: etcd
  endpoints: [http://10.0.0.21:2379, http://10.0.0.22:2379]
metrics:
  listen: 127.0.0.1:9694
`

export function metricsConfig(text = METRICS_CONFIG_TEXT): Config {
  const result = checkConfig(text)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.config
}

/** What status() says of a holding a's address, b alive on private only, the check passing. */
export function metricsStatus(over: Partial<AgentStatus> = {}): AgentStatus {
  return {
    node: 'a',
    state: 'healthy',
    maintenance: false,
    incarnation: 1,
    startedAt: '2026-12-07T00:00:00.000Z',
    uptimeMs: 60_000,
    timing: { intervalMs: 100, deadAfterMs: 300, detectionMs: 300 },
    links: ['private', 'public'],
    held: ['192.168.1.100/24'],
    peers: [
      {
        id: 'b',
        alive: true,
        lost: false,
        anomaly: true,
        state: 'healthy',
        incarnation: 3,
        intervalMs: 100,
        clockOffsetMs: -25,
        held: [],
        fit: null,
        links: [
          { name: 'private', up: true, lastSeenMsAgo: 40 },
          { name: 'public', up: false, lastSeenMsAgo: null },
        ],
        heardVia: null,
      },
    ],
    hears: ['b'],
    resources: [
      resource({ owner: 'a', status: 'held', addresses: ['192.168.1.100/24@eth0'] }),
      resource({ owner: 'b', status: 'idle', addresses: ['192.168.1.101/24@eth0', 'fd00::101/64@eth1'] }),
    ],
    checks: [
      {
        name: 'web',
        kind: 'tcp',
        passing: true,
        intervalMs: 2000,
        last: { ok: true, detail: 'connected', msAgo: 500 },
        sinceMsAgo: 60_000,
        runs: 30,
        failures: 2,
        requiredBy: ['192.168.1.100'],
      },
    ],
    counters: {
      sent: 1200,
      received: 590,
      dropped: { 'bad-mac': 5, malformed: 2 },
      loopStalls: 1,
      maxLoopLagMs: 12,
      beatLag: { boundsMs: BEAT_LAG_BOUNDS_MS, counts: [...BEAT_LAG_BOUNDS_MS, 0].map(() => 0), sumMs: 0 },
      links: {
        private: { sent: 600, received: { b: 590 }, dropped: { 'bad-mac': 3 } },
        public: { sent: 600, received: {}, dropped: {} },
      },
    },
    noCarrier: ['eth1'],
    refusedHooks: [],
    quorum: {
      valid: true,
      onLoss: 'release',
      leaseId: '7587',
      validForMs: 3500,
      endpoints: ['http://10.0.0.21:2379', 'http://10.0.0.22:2379'],
      lastAnswered: 'http://10.0.0.22:2379',
      held: [{ group: 'a', revision: '12' }],
    },
    ...over,
  }
}

function resource(
  r: Pick<AgentStatus['resources'][number], 'owner' | 'status' | 'addresses'>,
): AgentStatus['resources'][number] {
  return {
    sinceMsAgo: 1000,
    manual: false,
    heldBack: false,
    blocked: null,
    fitHere: true,
    failingChecks: [],
    noNodeFit: false,
    order: [r.owner],
    holder: r.status === 'held' ? 'a' : null,
    orderMismatch: [],
    ...r,
  }
}

/** A meter on the fixture, reading `status` at each render. */
export function fixtureMeter(
  opts: { config?: Config; status?: () => AgentStatus; defaultMetrics?: boolean } = {},
): Meter {
  return createMeter({
    config: opts.config ?? metricsConfig(),
    client: promClient,
    status: opts.status ?? (() => metricsStatus()),
    version: '0.1.0',
    defaultMetrics: opts.defaultMetrics ?? false,
  })
}

/** The value of one exposition line, e.g. `ipfo_peer_up{peer="b"}`; undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

/** Every sample line (not # HELP / # TYPE) of the metrics named `ipfo_*`. */
export function ipfoLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('ipfo_'))
}
