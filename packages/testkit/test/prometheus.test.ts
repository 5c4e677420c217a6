import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { netnsSkipReason } from '../src/netns-skip.js'
import { PrometheusApiError, prometheusSkipReason, startPrometheus } from '../src/prometheus/prometheus.js'

const ci = process.env.CI === 'true'
const noPrometheus = prometheusSkipReason(ci)
// This workspace depends on nothing, so no @ipfo/core netnsAvailable(): root is what `ip netns` needs.
const noNetns =
  noPrometheus ??
  netnsSkipReason(
    process.getuid?.() === 0 ? { ok: true } : { ok: false, reason: 'network namespaces need root' },
    ci,
  )

/** Generous: Prometheus on a loaded 2-core machine; the intervals are 250 ms. */
const SETTLE_MS = 15_000
const poll = { timeout: SETTLE_MS, interval: 100 }

describe.skipIf(noPrometheus)(
  `a real Prometheus on loopback${noPrometheus ? ` (skipped: ${noPrometheus})` : ''}`,
  () => {
    it('answers queries, refuses bad PromQL with its own error, and leaves nothing behind', async () => {
      const prometheus = await startPrometheus({
        scrapeTargets: [],
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      })
      try {
        expect(await prometheus.vector('vector(42)')).toEqual([{ metric: {}, value: '42' }])
        // An unknown metric is no error: an empty answer. Bad syntax is.
        expect(await prometheus.vector('ipfo_not_a_metric_yet')).toEqual([])
        const refused = await prometheus.query('sum(rate(x[1m])').catch((e: unknown) => e)
        expect(refused).toBeInstanceOf(PrometheusApiError)
        expect((refused as PrometheusApiError).errorType).toBe('bad_data')
        expect(existsSync(join(prometheus.dir, 'data'))).toBe(true)
      } finally {
        await prometheus.stop()
      }
      expect(existsSync(prometheus.dir)).toBe(false)
      await expect(fetch(`${prometheus.url}/-/ready`)).rejects.toThrow()
    })

    it('says why when it cannot start (a bad config), with its log', async () => {
      const start = startPrometheus({ scrapeTargets: [], scrapeInterval: 'soon', evaluationInterval: '1s' })
      // Stopped before the test ends, were it to start after all.
      start.then(
        (p) => p.stop(),
        () => undefined,
      )
      await expect(start).rejects.toThrow(
        /Prometheus on http:\/\/127\.0\.0\.1:\d+: it stopped \(exit 2\):\n.*not a valid duration string: \\"soon/s,
      )
    })
  },
)

/** Hand-written exposition text, as an ipfo agent would serve it. */
const EXPOSITION = `# HELP ipfo_peer_up Whether the peer is alive.
# TYPE ipfo_peer_up gauge
ipfo_peer_up{peer="b"} 0
ipfo_peer_up{peer="c"} 1
# HELP ipfo_acquires_total Acquires started, by cause.
# TYPE ipfo_acquires_total counter
ipfo_acquires_total{owner="b",cause="peer-lost"} 3
`

const RULES = `groups:
  - name: harness-test
    rules:
      - alert: PeerLost
        expr: ipfo_peer_up == 0
        for: 500ms
        labels:
          severity: page
        annotations:
          summary: 'peer {{ $labels.peer }} lost'
`

describe.skipIf(noNetns)(`a real Prometheus in a namespace${noNetns ? ` (skipped: ${noNetns})` : ''}`, () => {
  it('scrapes a target there: its values, a firing alert, and up = 0 once the target stops', async () => {
    const ns = `ipfo-prom-${process.pid}-${randomBytes(3).toString('hex')}`
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-prom-test-'))
    let target: ChildProcess | undefined
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined
    try {
      execFileSync('ip', ['netns', 'add', ns])
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
      const rules = join(dir, 'rules.yml')
      await writeFile(rules, RULES)
      target = serveInNamespace(ns, '127.0.0.1', 9100, EXPOSITION)
      prometheus = await startPrometheus({
        netns: ns,
        scrapeTargets: [{ job: 'fake-agent', targets: ['127.0.0.1:9100'], labels: { node: 'b' } }],
        ruleFiles: [rules],
        scrapeInterval: '250ms',
        evaluationInterval: '250ms',
      })
      const p = prometheus
      expect(p.url).toBe('http://127.0.0.1:9090')

      await vi.waitFor(async () => {
        expect((await p.targets()).map((t) => [t.labels.job, t.health])).toEqual([['fake-agent', 'up']])
      }, poll)
      expect(await p.vector('ipfo_acquires_total')).toEqual([
        {
          metric: {
            __name__: 'ipfo_acquires_total',
            cause: 'peer-lost',
            owner: 'b',
            instance: '127.0.0.1:9100',
            job: 'fake-agent',
            node: 'b',
          },
          value: '3',
        },
      ])
      expect(await p.vector('sum by (peer) (ipfo_peer_up)')).toEqual(
        expect.arrayContaining([
          { metric: { peer: 'b' }, value: '0' },
          { metric: { peer: 'c' }, value: '1' },
        ]),
      )

      // The rule fires for b (silent), never for c; and Prometheus's own ALERTS series says so too.
      await vi.waitFor(async () => {
        const firing = (await p.alerts()).filter((a) => a.state === 'firing')
        expect(firing.map((a) => [a.labels.alertname, a.labels.peer, a.labels.severity])).toEqual([
          ['PeerLost', 'b', 'page'],
        ])
        expect(firing[0]?.annotations.summary).toBe('peer b lost')
      }, poll)
      expect((await p.vector('ALERTS{alertstate="firing"}')).map((s) => s.metric.peer)).toEqual(['b'])

      target.kill('SIGKILL')
      await vi.waitFor(async () => {
        expect(await p.vector('up{job="fake-agent"}')).toEqual([
          {
            metric: { __name__: 'up', instance: '127.0.0.1:9100', job: 'fake-agent', node: 'b' },
            value: '0',
          },
        ])
      }, poll)
      expect((await p.targets())[0]?.health).toBe('down')
    } finally {
      target?.kill('SIGKILL')
      await prometheus?.stop()
      await rm(dir, { recursive: true, force: true })
      spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' })
    }
    expect(prometheus && existsSync(prometheus.dir)).toBe(false)
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(ns)
  }, 60_000)
})

/** A tiny HTTP server in the namespace answering every request with `text` (`ip netns exec` execs node). */
function serveInNamespace(ns: string, host: string, port: number, text: string): ChildProcess {
  const script = `require('node:http').createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(process.env.EXPOSITION)
  }).listen(${port}, '${host}')`
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    stdio: 'ignore',
    env: { ...process.env, EXPOSITION: text },
  })
}
