import { checkConfig } from '@ipfo/core'
import { describe, expect, it } from 'vitest'
import { describeSetting, needsEtcd, runsThree, SETTINGS } from '../settings.js'
import { type NodeName, TOPOLOGY_NODES, type TopologyName } from '../stage.js'
import { ipfoConfig } from './ipfo.js'
import { KEEPALIVED_SERVICE_CHECK, keepalivedConfig } from './keepalived.js'

const HOST = { a: 1, b: 2, c: 3 } as const
const stageOf = (topology: TopologyName) => ({
  nodes: TOPOLOGY_NODES[topology],
  vip: '10.213.1.50',
  prefixLength: 24,
  publicIp: (node: NodeName) => `10.213.1.${HOST[node]}`,
  privateIp: (node: NodeName) => `10.213.2.${HOST[node]}`,
  etcd: ['e0', 'e1', 'e2'].map((name, i) => ({
    name,
    ns: `ipfob-1-abcdef-${name}`,
    ip: `10.213.2.${200 + i}`,
  })),
})
const stage = stageOf('pair')
const files = { key: '/tmp/bench/heartbeat.key', dir: '/tmp/bench' }

describe("the daemons' configs", () => {
  const ipfo = SETTINGS.filter((s) => s.system === 'ipfo')

  it.each(ipfo.flatMap((s) => [0, 1, s.checks ?? 0].map((checks) => [s.id, checks] as const)))(
    '%s with %i checks is a config ipfo accepts',
    (id, checks) => {
      const setting = ipfo.find((s) => s.id === id)!
      for (const node of ['a', 'b'] as const) {
        const result = checkConfig(JSON.stringify(ipfoConfig(stage, setting, node, files, checks)))
        expect(result.ok ? [] : result.issues, `${id} ${node}`).toEqual([])
      }
    },
  )

  it('names the checks and requires them all on the VIP, owned and taken over', () => {
    const setting = ipfo.find((s) => s.id === 'ipfo-checks10')!
    const a = ipfoConfig(stage, setting, 'a', files, 10) as { checks: object; owns: { requires: string[] }[] }
    const b = ipfoConfig(stage, setting, 'b', files, 10) as {
      peers: { takeover: { requires: string[] }[] }[]
    }
    expect(Object.keys(a.checks)).toHaveLength(10)
    expect(a.owns[0]!.requires).toEqual(Object.keys(a.checks))
    expect(b.peers[0]!.takeover[0]!.requires).toEqual(Object.keys(a.checks))
    const one = ipfoConfig(stage, ipfo[0]!, 'a', files, 1) as { checks: Record<string, { url: string }> }
    expect(one.checks.web).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8080/', interval: '100ms' })
    expect(ipfoConfig(stage, ipfo[0]!, 'a', files, 0)).not.toHaveProperty('checks')
  })

  it("the scraped settings serve /metrics on each node's public address, the plain pair does not", () => {
    const metrics = (id: string, node: NodeName) =>
      (ipfoConfig(stage, ipfo.find((s) => s.id === id)!, node, files, 0) as { metrics?: unknown }).metrics
    expect(metrics('ipfo-10ms-scraped', 'a')).toEqual({ listen: '10.213.1.1:9694', defaultMetrics: true })
    expect(metrics('ipfo-10ms-scraped-nodefault', 'b')).toEqual({
      listen: '10.213.1.2:9694',
      defaultMetrics: false,
    })
    expect(metrics('ipfo-10ms', 'a')).toBeUndefined()
  })

  it('keepalived tracks the service with a vrrp_script only when asked, as root with script security', () => {
    const setting = SETTINGS.find((s) => s.id === 'keepalived-default')
    if (setting?.system !== 'keepalived') throw new Error('no keepalived-default')
    const plain = keepalivedConfig(stage, setting, 'a')
    expect(plain).not.toContain('vrrp_script')
    const checked = keepalivedConfig(stage, setting, 'a', true)
    expect(checked).toContain(`script "${KEEPALIVED_SERVICE_CHECK.script}"`)
    expect(checked).toMatch(/script_user root\n {2}enable_script_security/)
    expect(checked).toMatch(/track_script \{\n {4}service\n {2}\}/)
    expect(checked).toContain('weight -60')
    // a's 150 less the weight is below b's priority: b preempts when a's service fails.
    expect(150 + KEEPALIVED_SERVICE_CHECK.weight).toBeLessThan(setting.backupPriority)
  })

  describe('three nodes (issue 20)', () => {
    const three = stageOf('three')
    const vip = { interface: 'pub0', address: '10.213.1.50/24' }
    const ipfo10 = SETTINGS.find((s) => s.id === 'ipfo-10ms')
    if (ipfo10?.system !== 'ipfo') throw new Error('no ipfo-10ms')
    const config = (node: NodeName) =>
      JSON.parse(JSON.stringify(ipfoConfig(three, ipfo10, node, files, 0))) as Record<string, unknown>

    it('ipfo: a owns the VIP and names its takers b then c; every node hears both others', () => {
      expect(config('a')).toEqual({
        node: 'a',
        key: files.key,
        paths: { socket: '/tmp/bench/a.sock', stateDir: '/tmp/bench/a-state' },
        interval: '10ms',
        deadAfter: '30ms',
        links: [
          { name: 'private', targets: ['10.213.2.2', '10.213.2.3'] },
          { name: 'public', targets: ['10.213.1.2', '10.213.1.3'] },
        ],
        owns: [vip],
        takers: ['b', 'c'],
        peers: [
          { id: 'b', takeover: [] },
          { id: 'c', takeover: [] },
        ],
      })
    })

    it.each([
      ['b', 'c'],
      ['c', 'b'],
    ] as const)(
      'ipfo: %s takes the VIP over from a in the order [b, c] and takes nothing from %s',
      (node, other) => {
        const c = config(node)
        expect(c).toMatchObject({ node, owns: [], interval: '10ms', deadAfter: '30ms' })
        expect(c).not.toHaveProperty('takers')
        expect(c.links).toEqual([
          { name: 'private', targets: ['10.213.2.1', `10.213.2.${HOST[other]}`] },
          { name: 'public', targets: ['10.213.1.1', `10.213.1.${HOST[other]}`] },
        ])
        expect(c.peers).toEqual([
          { id: 'a', takeover: [vip], takers: ['b', 'c'] },
          { id: other, takeover: [] },
        ])
      },
    )

    it('ipfo: the pair has no order (its one taker is the default)', () => {
      const b = ipfoConfig(stage, ipfo10, 'b', files, 0)
      expect(b).not.toHaveProperty('takers')
      expect(b.peers).toEqual([{ id: 'a', takeover: [vip] }])
      expect(ipfoConfig(stage, ipfo10, 'a', files, 0)).not.toHaveProperty('takers')
    })

    it('keepalived: one VRRPv3 instance per node at 0.01 s, priorities 150/100/50, unicast to both others', () => {
      const setting = SETTINGS.find((s) => s.id === 'keepalived-10ms')
      if (setting?.system !== 'keepalived') throw new Error('no keepalived-10ms')
      const expected = {
        a: ['MASTER', 150, [2, 3]],
        b: ['BACKUP', 100, [1, 3]],
        c: ['BACKUP', 50, [1, 2]],
      } as const
      for (const node of TOPOLOGY_NODES.three) {
        const [state, priority, peers] = expected[node]
        const conf = keepalivedConfig(three, setting, node)
        expect(conf).toContain('  vrrp_version 3\n')
        expect(conf).toContain(`  state ${state}\n`)
        expect(conf).toContain(`  priority ${priority}\n`)
        expect(conf).toContain('  advert_int 0.01\n')
        expect(conf).toContain(`  unicast_src_ip 10.213.1.${HOST[node]}\n`)
        expect(conf).toContain(`  unicast_peer {\n${peers.map((h) => `    10.213.1.${h}\n`).join('')}  }`)
        expect(conf).not.toContain('nopreempt')
        expect(conf).not.toContain('vrrp_rt_priority')
        expect(conf.match(/vrrp_instance/g)).toHaveLength(1)
      }
    })
  })

  describe('quorum on etcd (issue 21)', () => {
    const etcd = SETTINGS.find((s) => s.id === 'ipfo-etcd-10ms')
    const pair = SETTINGS.find((s) => s.id === 'ipfo-10ms')
    if (etcd?.system !== 'ipfo' || pair?.system !== 'ipfo') throw new Error('no ipfo-etcd-10ms or ipfo-10ms')

    it("ipfo-etcd-10ms is ipfo-10ms's config plus a coordination section on the stage's members", () => {
      for (const node of ['a', 'b'] as const) {
        const { coordination, ...rest } = ipfoConfig(stage, etcd, node, files, 0)
        expect(coordination).toEqual({
          kind: 'etcd',
          endpoints: ['http://10.213.2.200:2379', 'http://10.213.2.201:2379', 'http://10.213.2.202:2379'],
          prefix: '/ipfo-bench/',
          leaseTtl: '2s',
          margin: '500ms',
        })
        expect(rest).toEqual(ipfoConfig(stage, pair, node, files, 0))
      }
      expect(ipfoConfig(stage, pair, 'a', files, 0)).not.toHaveProperty('coordination')
    })

    it('ipfo reads it as the issue asks: a 2 s lease, a 500 ms margin, release on quorum loss', () => {
      const result = checkConfig(JSON.stringify(ipfoConfig(stage, etcd, 'b', files, 1)))
      if (!result.ok) throw new Error(JSON.stringify(result.issues))
      expect(result.config.coordination).toMatchObject({
        kind: 'etcd',
        leaseTtl: 2_000,
        margin: 500,
        onQuorumLoss: 'release',
        prefix: '/ipfo-bench/',
      })
    })

    it('runs as a pair only, with the etcd cluster its agents name', () => {
      expect(runsThree(etcd)).toBe(false)
      expect(needsEtcd(etcd)).toBe(true)
      expect(SETTINGS.filter(needsEtcd).map((s) => s.id)).toEqual(['ipfo-etcd-10ms'])
      expect(describeSetting(etcd)).toMatchObject({
        coordination: 'etcd, leaseTtl 2s, margin 500ms, onQuorumLoss release',
      })
    })
  })

  it('the real-time variants: SCHED_FIFO 1 for both systems, through their own options', () => {
    const keepalived = SETTINGS.find((s) => s.id === 'keepalived-10ms-rt')
    const ipfoRt = SETTINGS.find((s) => s.id === 'ipfo-10ms-rt')
    if (keepalived?.system !== 'keepalived' || ipfoRt?.system !== 'ipfo') throw new Error('no rt settings')
    expect(keepalivedConfig(stage, keepalived, 'a')).toContain('  vrrp_rt_priority 1\n')
    expect(ipfoConfig(stage, ipfoRt, 'b', files, 0)).toMatchObject({ scheduling: { realtimePriority: 1 } })
    const plain = ipfo.find((s) => s.id === 'ipfo-10ms')!
    expect(ipfoConfig(stage, plain, 'b', files, 0)).not.toHaveProperty('scheduling')
  })
})
