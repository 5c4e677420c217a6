import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { netnsAvailable } from '@ipfo/core/netns'
import { netnsSkipReason } from '@ipfo/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.js'

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })

/** What `ipfo demo --nodes 3 --json` says when its story went as told: b, then c, then a again, one at a time. */
function expectTrioStory(json: Record<string, unknown>) {
  expect(json, JSON.stringify(json)).toMatchObject({
    doubleHeldSamples: 0,
    trio: {
      order: ['a', 'b', 'c'],
      takeovers: [
        { died: 'a', holders: ['b'] },
        { died: 'b', holders: ['c'] },
      ],
      failbackHolders: ['a'],
      acquisitions: ['a', 'b', 'c', 'a'],
    },
  })
  expect(json.holderSamples).toBeGreaterThan(0)
  const [first, second] = (json.trio as { takeovers: { takeoverMs: number }[] }).takeovers
  expect(json.takeoverMs).toBe(first?.takeoverMs)
  expect(second?.takeoverMs).toBeLessThan(2_000)
}

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
  }, 120_000)

  it('refuses a node count other than 2 or 3, saying which it takes', async () => {
    const result = await runCli(['demo', '--nodes', '4'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('Expected --nodes=4 to be one of: 2, 3')
  })

  it('with three nodes on loopback: b takes over, then c, then a gets it back, never two holders', async () => {
    const human = await runCli(['demo', '--nodes', '3', '--loopback'])
    expect(human.code, `${human.stdout}\n${human.stderr}`).toBe(0)
    expect(human.stdout).toContain('its takers, in order, are b then c')
    expect(human.stdout).toMatch(/takeover: \d+ms from the kill to b holding/)
    expect(human.stdout).toMatch(/takeover: \d+ms from the kill to c holding/)
    expect(human.stdout).toMatch(/a and c both held \S+ in 0 of [1-9]\d* samples/)
    const result = await runCli(['demo', '--nodes', '3', '--loopback', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json).toMatchObject({ mode: 'loopback', clientOutageMs: null })
    expectTrioStory(json)
  }, 120_000)

  const skip = netnsSkipReason(netnsAvailable(), process.env.CI === 'true')
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
    // Each run is a real demo; on a busy machine one takes 15-30 s.
    120_000,
  )

  it.skipIf(skip !== undefined)(
    'as root with three nodes: b, then c take over with a measured client outage, a gets it back, nothing left behind',
    async () => {
      const result = await runCli(['demo', '--nodes', '3', '--json'])
      expect(result.code, result.stderr).toBe(0)
      const json = JSON.parse(result.stdout)
      expect(json).toMatchObject({ mode: 'namespaces' })
      expectTrioStory(json)
      for (const takeover of json.trio.takeovers) {
        expect(takeover.clientOutageMs).toBeGreaterThan(0)
        expect(takeover.clientOutageMs).toBeLessThan(2_000)
      }
      expect(json.clientOutageMs).toBe(json.trio.takeovers[0].clientOutageMs)
      expect(namespaces()).not.toContain(`ipfo-${result.pid ?? ''}`)
    },
    // A real demo with three agents and two takeovers; on a busy machine one takes 20-40 s.
    120_000,
  )

  /** A PATH like this machine's, less the tools a fresh Debian 12 does not have. */
  const bare = mkdtempSync(join(tmpdir(), 'ipfo-bare-path-'))
  afterAll(() => rmSync(bare, { recursive: true, force: true }))
  const LEFT_OUT = ['ping', 'arping', 'socat', 'na6', 'ndisc6']
  const barePath = () => {
    for (const dir of (process.env.PATH ?? '').split(':').filter(existsSync)) {
      for (const name of readdirSync(dir)) {
        if (!LEFT_OUT.includes(name) && !existsSync(join(bare, name)))
          symlinkSync(join(dir, name), join(bare, name))
      }
    }
    return bare
  }

  it.skipIf(skip !== undefined)(
    'as root on a fresh machine (no ping, arping, socat, na6, ndisc6): runs to its end in 2 minutes, one warning per agent start and no error',
    async () => {
      const started = Date.now()
      const result = await runCli(['demo'], { env: { PATH: barePath() } })
      const tookMs = Date.now() - started
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0)
      expect(tookMs).toBeLessThan(120_000)
      expect(result.stdout).toContain('neither socat nor arping is installed')
      const warnings = result.stdout.split('\n').filter((l) => / tools-missing /.test(l))
      // a, b, and a again after its restart: one each, however many takeovers.
      expect(warnings).toHaveLength(3)
      for (const w of warnings) expect(w).toContain('apt-get install socat iputils-arping')
      expect(result.stdout).not.toMatch(/ error +/)
      expect(result.stdout).toMatch(/client: \d+\/\d+ probes answered; longest outage \d+ms/)
      expect(result.stdout).toMatch(/both nodes held \S+ in 0 of [1-9]\d* samples/)
      expect(namespaces()).not.toContain(`ipfo-${result.pid ?? ''}`)
    },
    // Each run is a real demo; on a busy machine one takes 15-30 s.
    120_000,
  )
})
