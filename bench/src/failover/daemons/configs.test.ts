import { checkConfig } from '@ipfo/core'
import { describe, expect, it } from 'vitest'
import { SETTINGS } from '../settings.js'
import { ipfoConfig } from './ipfo.js'
import { KEEPALIVED_SERVICE_CHECK, keepalivedConfig } from './keepalived.js'

const stage = {
  vip: '10.213.1.50',
  prefixLength: 24,
  publicIp: (node: 'a' | 'b') => (node === 'a' ? '10.213.1.1' : '10.213.1.2'),
  privateIp: (node: 'a' | 'b') => (node === 'a' ? '10.213.2.1' : '10.213.2.2'),
}
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
})
