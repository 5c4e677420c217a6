import { execFileSync } from 'node:child_process'
import { netnsSkipReason } from '@ipfo/core/testing'
import { describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })

describe('ipfo demo', () => {
  it('on loopback: takes over, gives back, never two holders, and says it simulated addresses', async () => {
    const human = await runCli(['demo', '--loopback'])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('simulated addresses')
    const result = await runCli(['demo', '--loopback', '--json'])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json).toMatchObject({ mode: 'loopback', doubleHeldSamples: 0, clientOutageMs: null })
    expect(json.takeoverMs).toBeLessThan(2_000)
    expect(json.holderSamples).toBeGreaterThan(0)
  })

  const skip = netnsSkipReason(process.env.CI === 'true')
  it.skipIf(skip !== undefined)(
    'as root: real namespaces, a measured client outage, and nothing left behind',
    async () => {
      const result = await runCli(['demo', '--json'])
      expect(result.code).toBe(0)
      const json = JSON.parse(result.stdout)
      expect(json).toMatchObject({ mode: 'namespaces', doubleHeldSamples: 0 })
      expect(json.clientOutageMs).toBeGreaterThan(0)
      expect(json.clientOutageMs).toBeLessThan(2_000)
      expect(namespaces()).not.toContain(`ipfo-${result.pid ?? ''}`)
    },
  )
})
