import { createServer, type Server } from 'node:http'

/**
 * Two stand-in agents for the dashboard preview: HTTP endpoints serving, in exposition text, what
 * nodes a and b of a two-link pair would say through a failover: both healthy, then a dies at
 * `failAt` (its endpoint closes) and b, after the detection time, takes a's address over. Made-up
 * numbers with the catalogue's names and labels: a stand-in for ipfo's endpoint, never a
 * measurement of it.
 */
export interface FakeAgents {
  /** `host:port` of a's and b's endpoints. */
  readonly targets: readonly [string, string]
  /** Kills a (its endpoint stops answering), as the scenario says, at its time. */
  close(): Promise<void>
}

const LINKS = ['private', 'public'] as const
const STEPS = {
  decision: 3.02,
  claim: 0.004,
  gate: 0.001,
  PreAcq: 0.08,
  add: 0.002,
  announce: 0.006,
  PostAcq: 0.21,
}
const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export async function startFakeAgents(opts: { readonly failAtMs: number; readonly detectionMs: number }) {
  const started = Date.now()
  const failAt = started + opts.failAtMs
  const takenAt = failAt + opts.detectionMs
  const a = await serve((now) => exposition('a', 'b', now, { started, failAt, takenAt }))
  const b = await serve((now) => exposition('b', 'a', now, { started, failAt, takenAt }))
  const killA = setTimeout(() => close(a), Math.max(0, failAt - Date.now()))
  return {
    targets: [address(a), address(b)] as const,
    async close() {
      clearTimeout(killA)
      await Promise.all([close(a), close(b)])
    },
  } satisfies FakeAgents
}

interface Times {
  readonly started: number
  readonly failAt: number
  readonly takenAt: number
}

function exposition(self: string, peer: string, now: number, t: Times): string {
  const lines: string[] = []
  const put = (name: string, labels: Record<string, string>, value: number) => {
    const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
    lines.push(`${name}${text.length > 0 ? `{${text.join(',')}}` : ''} ${value}`)
  }
  const secs = (now - t.started) / 1000
  const peerAlive = self === 'a' || now < t.failAt
  const tookOver = self === 'b' && now >= t.takenAt
  put('ipfo_info', { node: self, version: '0.1.0' }, 1)
  for (const [owner, address] of [
    ['a', '192.0.2.10'],
    ['b', '192.0.2.20'],
  ] as const) {
    const held = owner === self || tookOver ? 1 : 0
    put('ipfo_address_held', { owner, address, interface: 'eth0' }, held)
    put('ipfo_acquires_total', { owner, cause: owner === self ? 'own-free' : 'peer-lost' }, held)
    put('ipfo_releases_total', { owner, cause: 'failback' }, 0)
  }
  const heardUntil = peerAlive ? now : t.failAt
  put('ipfo_peer_up', { peer }, peerAlive ? 1 : 0)
  put('ipfo_peer_link_anomaly', { peer }, 0)
  for (const link of LINKS) {
    put('ipfo_heartbeats_sent_total', { link }, Math.floor(secs * 10))
    put('ipfo_heartbeats_received_total', { link, peer }, Math.floor(((heardUntil - t.started) / 1000) * 10))
    put('ipfo_heartbeats_dropped_total', { link: 'unknown', reason: 'replay' }, Math.floor(secs / 4))
    put('ipfo_peer_last_heard_seconds', { peer, link }, (now - heardUntil) / 1000 + 0.05)
  }
  // The takeover's steps, observed once by b when it took over.
  for (const [step, seconds] of Object.entries({ ...STEPS, total: 0.31 })) {
    const n = tookOver ? 1 : 0
    for (const le of BOUNDS)
      put('ipfo_takeover_step_seconds_bucket', { step, le: String(le) }, seconds <= le ? n : 0)
    put('ipfo_takeover_step_seconds_bucket', { step, le: '+Inf' }, n)
    put('ipfo_takeover_step_seconds_sum', { step }, n * seconds)
    put('ipfo_takeover_step_seconds_count', { step }, n)
  }
  const hookRuns = 1 + (tookOver ? 1 : 0)
  for (const phase of ['PreAcq', 'PostAcq']) {
    put('ipfo_hook_runs_total', { phase, result: 'ok' }, hookRuns)
    put('ipfo_hook_runs_total', { phase, result: 'failed' }, 0)
    put('ipfo_hooks_refused_total', { phase }, 0)
    for (const le of [0.05, 0.1, 0.25, 0.5, 1]) {
      put('ipfo_hook_duration_seconds_bucket', { phase, le: String(le) }, le >= 0.25 ? hookRuns : 0)
    }
    put('ipfo_hook_duration_seconds_bucket', { phase, le: '+Inf' }, hookRuns)
  }
  put('ipfo_check_passing', { check: 'web', kind: 'http' }, 1)
  put('ipfo_check_failures_total', { check: 'web' }, 0)
  put('ipfo_quorum_lease_valid', {}, 1)
  put('ipfo_quorum_lease_valid_for_seconds', {}, 8 - (secs % 3))
  const beats = Math.floor(secs * 10)
  for (const [le, share] of [
    [0.001, 0.9],
    [0.005, 0.99],
    [0.02, 1],
  ] as const)
    put('ipfo_heartbeat_timer_lag_seconds_bucket', { le: String(le) }, Math.floor(beats * share))
  put('ipfo_heartbeat_timer_lag_seconds_bucket', { le: '+Inf' }, beats)
  put('ipfo_loop_stalls_total', {}, 0)
  put('process_cpu_seconds_total', {}, secs * (tookOver ? 0.012 : 0.008))
  put('process_resident_memory_bytes', {}, 61_000_000 + (tookOver ? 2_500_000 : 0))
  return `${lines.join('\n')}\n`
}

function serve(body: (now: number) => string): Promise<Server> {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(body(Date.now()))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

function address(server: Server): string {
  const a = server.address()
  return `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`
}

function close(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve()
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}
