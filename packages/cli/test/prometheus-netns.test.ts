import { fileURLToPath } from 'node:url'
import { netnsAvailable } from '@ipfo/core/netns'
import {
  dashboardQueries,
  grafanaToPromql,
  knownSeriesNames,
  netnsSkipReason,
  type Prometheus,
  prometheusSkipReason,
  readDashboard,
  startPrometheus,
} from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { type NamespacePair, startNamespacePair, until } from './pair-harness.js'

/**
 * Issue 22 with a real Prometheus (Debian's 2.42): a pair of real agents in namespaces serve their
 * metrics on their public addresses, a Prometheus in the client namespace scrapes both every 250 ms
 * and evaluates the docs' alert rules; a dies, and the test asks Prometheus's HTTP API what a
 * sysadmin's dashboard and alerts would read: b holds the VIP, b counted one takeover for a lost
 * peer, a's scrape is down, the peer-lost alert is raised, every dashboard query runs, and every
 * metric the agents expose is in the catalogue the docs are checked against.
 */
const ci = process.env.CI === 'true'
const DOCS = fileURLToPath(new URL('../../../apps/docs/public/monitoring/', import.meta.url))
const RULES = `${DOCS}ipfo-alert-rules.yml`
const DASHBOARD = `${DOCS}ipfo-dashboard.json`
const PORT = 9694

const skip = netnsSkipReason(netnsAvailable(), ci) ?? prometheusSkipReason(ci)

let pair: NamespacePair | undefined
let prometheus: Prometheus | undefined
afterEach(async () => {
  await prometheus?.stop()
  prometheus = undefined
  await pair?.close()
  pair = undefined
})

/** The one value of an instant query that must select one series, or undefined while it selects none. */
async function value(p: Prometheus, promql: string): Promise<string | undefined> {
  const samples = await p.vector(promql)
  if (samples.length > 1) throw new Error(`${promql} selects ${samples.length} series, not one`)
  return samples[0]?.value
}

describe.skipIf(skip !== undefined)(
  `a real Prometheus scraping a pair${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    it('reads the takeover from the agents: held address, takeover count, scrape down, peer-lost alert', async () => {
      const p = await startNamespacePair({
        config: (stage) => ({
          a: { metrics: { listen: `${stage.topology.node('a').public.ipv4}:${PORT}` } },
          b: { metrics: { listen: `${stage.topology.node('b').public.ipv4}:${PORT}` } },
        }),
      })
      pair = p
      const a = p.agent('a')
      a.start()
      p.agent('b').start()
      await until('a to hold the VIP', async () => (await p.stage.holders()).join() === 'a', 15_000)
      await until(
        'b to hear a on every link',
        async () => (await p.status('b').catch(() => undefined))?.peers[0]?.links.every((l) => l.up) === true,
        15_000,
      )
      const endpoint = (node: 'a' | 'b') => `${p.topology.node(node).public.ipv4}:${PORT}`
      const prom = await startPrometheus({
        netns: p.topology.client!.ns,
        scrapeTargets: [
          {
            job: 'ipfo',
            targets: [
              { address: endpoint('a'), labels: { instance: 'a' } },
              { address: endpoint('b'), labels: { instance: 'b' } },
            ],
          },
        ],
        ruleFiles: [RULES],
        scrapeInterval: '250ms',
        evaluationInterval: '250ms',
      })
      prometheus = prom
      await until(
        'both agents to be scraped',
        async () => (await prom.targets()).filter((t) => t.health === 'up').length === 2,
        15_000,
      )
      const held = (node: string) => `ipfo_address_held{instance="${node}", address="${p.vipIp}"}`
      await until(
        'Prometheus to see a holding the VIP',
        async () => (await value(prom, held('a'))) === '1',
        15_000,
      )
      expect(await value(prom, held('b'))).toBe('0')
      expect(await value(prom, 'ipfo_peer_up{instance="b", peer="a"}')).toBe('1')
      // b may have taken a's VIP once already, at its start before it heard a: counted from here.
      const takeovers = 'ipfo_acquires_total{instance="b", owner="a", cause="peer-lost"}'
      const before = Number(await value(prom, takeovers))

      await a.kill()
      await p.stage.isolate('a')
      await until('b to hold the VIP', async () => (await p.stage.holders()).includes('b'), 5_000)

      const readsTakeover = async () =>
        (await value(prom, held('b'))) === '1' &&
        Number(await value(prom, takeovers)) === before + 1 &&
        (await value(prom, 'ipfo_peer_up{instance="b", peer="a"}')) === '0' &&
        (await value(prom, 'up{instance="a"}')) === '0'
      await until('Prometheus to read the takeover and a down', readsTakeover, 15_000)
      expect(await value(prom, `sum by (address) (${held('b')})`)).toBe('1')
      // The docs' rules: raised at once (pending until their for:), for the right peer and node.
      await until(
        'IpfoPeerLost (a, seen by b) and IpfoScrapeDown (a) to be raised',
        async () => {
          const raised = (await prom.alerts()).map(
            (x) => `${x.labels.alertname} ${x.labels.instance} ${x.labels.peer ?? ''}`,
          )
          return raised.includes('IpfoPeerLost b a') && raised.includes('IpfoScrapeDown a ')
        },
        15_000,
      )

      // Every query of the docs' dashboard runs on what real agents expose.
      for (const { where, expr } of dashboardQueries(readDashboard(DASHBOARD))) {
        await expect(prom.query(grafanaToPromql(expr)), where).resolves.toBeDefined()
      }
      // The catalogue the docs are checked against is what the agents expose: every ipfo metric they
      // serve is in it, and all of it is served but the checks' and quorum's (this pair has neither).
      const exposed = new Set(
        (await prom.vector('count by (__name__) ({job="ipfo", instance="b"})')).map(
          (s) => s.metric.__name__ ?? '',
        ),
      )
      const known = knownSeriesNames()
      expect([...exposed].filter((name) => name.startsWith('ipfo_') && !known.has(name))).toEqual([])
      expect(
        [...known].filter(
          (name) => !exposed.has(name) && !/^ipfo_(check|quorum)_/.test(name) && name !== 'ALERTS',
        ),
      ).toEqual([])
    }, 120_000)
  },
)
