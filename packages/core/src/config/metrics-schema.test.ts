import { describe, expect, it } from 'vitest'
import { checkConfig } from './load.js'
import { isLoopbackHost, parseListen } from './metrics-schema.js'

const BASE = `node: alpha
key: heartbeat.key
links:
  - name: private
    targets: [10.0.0.255]
`

function metrics(text: string) {
  const result = checkConfig(`${BASE}${text}`)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.config.metrics
}

function issues(text: string) {
  const result = checkConfig(`${BASE}${text}`)
  if (result.ok) throw new Error('the config was accepted')
  return result.issues.map((i) => `${i.path}: ${i.message}`)
}

describe('metrics in the config', () => {
  it('is off when absent, and fills in the path and the default metrics', () => {
    expect(metrics('')).toBeUndefined()
    expect(metrics('metrics: { listen: "127.0.0.1:9694" }\n')).toEqual({
      listen: '127.0.0.1:9694',
      path: '/metrics',
      defaultMetrics: true,
    })
    expect(metrics('metrics: { listen: "[::1]:9694", path: /m, defaultMetrics: false }\n')).toEqual({
      listen: '[::1]:9694',
      path: '/m',
      defaultMetrics: false,
    })
  })

  it('says how to write a listen address it cannot use', () => {
    expect(issues('metrics: { listen: "127.0.0.1" }\n')).toEqual([
      'metrics.listen: "127.0.0.1" has no port; write "127.0.0.1:9694"',
    ])
    expect(issues('metrics: { listen: "::1:9694" }\n')).toEqual([
      'metrics.listen: "::1:9694": an IPv6 address goes in brackets before its port: write "[::1]:9694"',
    ])
    expect(issues('metrics: { listen: "::1" }\n')).toEqual([
      'metrics.listen: "::1" has no port; write "[::1]:9694"',
    ])
    expect(issues('metrics: { listen: "metrics.example.com:9694" }\n')[0]).toContain(
      'is not an IP address; write the address to listen on (no host names',
    )
    expect(issues('metrics: { listen: "[10.0.0.1]:9694" }\n')).toEqual([
      'metrics.listen: "10.0.0.1" in brackets is not an IPv6 address; write e.g. "[::1]:9694"',
    ])
    expect(issues('metrics: { listen: "127.0.0.1:70000" }\n')).toEqual([
      'metrics.listen: port 70000 is not 1 to 65535; e.g. "127.0.0.1:9694"',
    ])
    expect(issues('metrics: { listen: "127.0.0.1:9694", path: "metrics?x" }\n')).toEqual([
      'metrics.path: "metrics?x" is not a URL path; write one that starts with "/", without "?", "#" or spaces: "/metrics"',
    ])
    expect(issues('metrics: { path: /metrics }\n')[0]).toMatch(/^metrics\.listen: /)
    expect(issues('metrics: { listen: 9694 }\n')[0]).toBe(
      'metrics.listen: expected text, got 9694; write an address and the port, quoted: "127.0.0.1:9694"',
    )
    expect(issues('metrics: { listen: "127.0.0.1:9694", port: 1 }\n')[0]).toMatch(/port/)
  })
})

describe('parseListen and isLoopbackHost', () => {
  it('split host and port, and know loopback', () => {
    expect(parseListen('0.0.0.0:9694')).toEqual({ ok: true, host: '0.0.0.0', port: 9694 })
    expect(parseListen('[fd00::1]:80')).toEqual({ ok: true, host: 'fd00::1', port: 80 })
    expect(parseListen('localhost:9694')).toEqual({
      ok: false,
      reason: expect.stringContaining('write the address: "127.0.0.1:9694" (or "[::1]:9694")'),
    })
    expect(['127.0.0.1', '127.3.2.1', '::1', 'localhost', '::ffff:127.0.0.1'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ])
    expect(['0.0.0.0', '::', '10.0.0.1', 'fd00::1'].map(isLoopbackHost)).toEqual([false, false, false, false])
  })
})
