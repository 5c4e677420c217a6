import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@ipfo/testkit'
import promClient from 'prom-client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { simulatedAddressControl } from '../src/adapters/address/simulated-address-control.js'
import { generateKey, writeKeyFile } from '../src/adapters/key-file.js'
import { type RunningAgent, startAgent } from '../src/agent/agent.js'
import type { IpfoEvent } from '../src/model/events.js'
import { sample } from './fakes/metrics-fixture.js'

/** What the rehearsals emit, to their own sink: recorded here beside it. */
const rehearsed: IpfoEvent[] = []
vi.mock('../src/engine/rehearsal.js', async (importActual) => {
  const actual = await importActual<typeof import('../src/engine/rehearsal.js')>()
  return {
    ...actual,
    rehearsalLoop: (deps: Parameters<typeof actual.rehearsalLoop>[0]) =>
      actual.rehearsalLoop({
        ...deps,
        sink: (event) => {
          rehearsed.push(event)
          deps.sink(event)
        },
      }),
  }
})

// Before any agent starts: every start below goes through it.
const collect = vi.spyOn(promClient, 'collectDefaultMetrics')

let dir: string
const agents: RunningAgent[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-metrics-'))
})
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop({ release: false })
  await rm(dir, { recursive: true, force: true })
})

// UDP heartbeat ports below the ephemeral range (32768 and up); metrics ports from freePort().
const base = 10_000 + Math.floor(Math.random() * 20_000)
const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** Node a alone (b never runs), on loopback with simulated addresses; b is lost only after a minute. */
async function configFile(metricsPort: number, tag: string): Promise<string> {
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const file = join(dir, `a-${tag}.json`)
  const config = {
    node: 'a',
    key,
    interval: '100ms',
    deadAfter: '60s',
    links: [{ name: 'private', listen: '127.0.0.1', port: base, targets: [`127.0.0.1:${base + 1}`] }],
    peers: [{ id: 'b', takeover: [{ interface: 'demo0', address: '192.0.2.100/24' }] }],
    paths: { socket: join(dir, `a-${tag}.sock`), stateDir: join(dir, `state-${tag}`) },
    hooks: { dir: join(dir, 'no-hooks') },
    metrics: { listen: `127.0.0.1:${metricsPort}` },
  }
  await writeFile(file, JSON.stringify(config))
  return file
}

async function start(metricsPort: number, seen: IpfoEvent[] = [], tag = 'a'): Promise<RunningAgent> {
  const agent = await startAgent({
    configFile: await configFile(metricsPort, tag),
    platform: 'linux',
    address: simulatedAddressControl(join(dir, 'addresses.json')),
    log: '/dev/null',
    onEvent: (e) => seen.push(e),
  })
  agents.push(agent)
  return agent
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`)
  expect(response.status).toBe(200)
  return response.text()
}

describe('an agent with a metrics endpoint', () => {
  it('serves its metrics and counts its own events, never a rehearsal', async () => {
    const port = await freePort()
    const seen: IpfoEvent[] = []
    await start(port, seen)
    await vi.waitFor(() => expect(rehearsed.map((e) => e.kind)).toContain('acquiring'), { timeout: 5_000 })
    const text = await scrape(port)
    expect(sample(text, `ipfo_info{node="a",version="${version}"}`)).toBe(1)
    // Starting: b has not been heard, and is not lost for a minute.
    expect(sample(text, 'ipfo_agent_state{state="starting"}')).toBe(1)
    expect(sample(text, 'ipfo_heartbeats_sent_total{link="private"}')).toBeGreaterThan(0)
    expect(sample(text, 'ipfo_address_held{owner="b",address="192.0.2.100",interface="demo0"}')).toBe(0)
    // The rehearsal lost b and acquired its address, to its own sink: none of it is counted.
    expect(sample(text, 'ipfo_acquires_total{owner="b",cause="peer-lost"}')).toBe(0)
    expect(sample(text, 'ipfo_events_total{kind="peer-lost"}')).toBe(0)
    expect(sample(text, 'ipfo_events_total{kind="acquiring"}')).toBe(0)
    expect(sample(text, 'ipfo_events_total{kind="agent-started"}')).toBe(
      seen.filter((e) => e.kind === 'agent-started').length,
    )
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter')
  })

  it('a reload (stop, start) binds the new address, and registers the default metrics once', async () => {
    const [one, two] = [await freePort(), await freePort()]
    const first = await start(one)
    expect((await scrape(one)).match(/^# TYPE nodejs_heap_size_used_bytes /gm)).toHaveLength(1)
    await first.stop({ release: false })
    agents.splice(agents.indexOf(first), 1)
    await start(two)
    const text = await scrape(two)
    expect(text.match(/^# TYPE nodejs_heap_size_used_bytes /gm)).toHaveLength(1)
    expect(sample(text, 'ipfo_agent_state{state="starting"}')).toBe(1)
    // Once in the process, for the three agents started so far.
    expect(collect).toHaveBeenCalledTimes(1)
  })

  it('is not loaded by an agent without the section: importing @ipfo/core and its agent loads no prom-client', () => {
    const script = [
      "import { createRequire } from 'node:module'",
      "await import('@ipfo/core/agent')",
      "await import('@ipfo/core')",
      'const loaded = Object.keys(createRequire(import.meta.url).cache)',
      "console.log(loaded.filter((k) => k.includes('prom-client')).length)",
    ].join('\n')
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(child.stderr).toBe('')
    expect(child.stdout.trim()).toBe('0')
  })

  it('starts on a port in use, says so naming the field, and binds it once it is free', async () => {
    const port = await freePort()
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', () => resolve()))
    const seen: IpfoEvent[] = []
    const agent = await start(port, seen)
    const error = seen.find((e) => e.kind === 'error' && e.context === 'metrics endpoint')
    expect(error).toMatchObject({
      message: expect.stringContaining(`metrics.listen: 127.0.0.1:${port} is in use`),
    })
    // Failover runs: heartbeats go out.
    const sent = agent.engine.status().counters.links.private?.sent ?? 0
    await vi.waitFor(() =>
      expect(agent.engine.status().counters.links.private?.sent).toBeGreaterThan(sent + 3),
    )
    await new Promise<void>((resolve) => squatter.close(() => resolve()))
    await vi.waitFor(async () => expect(await scrape(port)).toContain('ipfo_info'), {
      timeout: 8_000,
      interval: 200,
    })
    // Reported once, not at every retry.
    expect(seen.filter((e) => e.kind === 'error' && e.context === 'metrics endpoint')).toHaveLength(1)
  }, 15_000)

  it('answers 503 until the engine has started, then the addresses it found held', async () => {
    const port = await freePort()
    const file = await configFile(port, 'held')
    // The address is on the interface already (the agent held it before a restart): found at start.
    const simulated = simulatedAddressControl(join(dir, 'addresses.json'))
    await simulated.add({ interface: 'demo0', ip: '192.0.2.100', prefix: 24, family: 4 })
    // Reconciliation waits until the test has scraped the endpoint in between.
    let reconcile = () => {}
    const reconciling = new Promise<void>((resolve) => {
      reconcile = resolve
    })
    const address = {
      ...simulated,
      present: async (...args: Parameters<typeof simulated.present>) => {
        await reconciling
        return simulated.present(...args)
      },
    }
    const starting = startAgent({ configFile: file, platform: 'linux', address, log: '/dev/null' })
    const early = await vi.waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`)
      return { status: response.status, text: await response.text() }
    })
    expect(early).toEqual({
      status: 503,
      text: 'the agent is starting: its addresses are not reconciled yet\n',
    })
    reconcile()
    agents.push(await starting)
    const text = await scrape(port)
    expect(sample(text, 'ipfo_address_held{owner="b",address="192.0.2.100",interface="demo0"}')).toBe(1)
  })
})
