import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

const base = 20_000 + Math.floor(Math.random() * 20_000)

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
    const port = base + 2
    const seen: IpfoEvent[] = []
    await start(port, seen)
    await vi.waitFor(() => expect(rehearsed.map((e) => e.kind)).toContain('acquiring'), { timeout: 5_000 })
    const text = await scrape(port)
    expect(sample(text, 'ipfo_info{node="a",version="0.1.0"}')).toBe(1)
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
    const first = await start(base + 3)
    expect((await scrape(base + 3)).match(/^# TYPE nodejs_heap_size_used_bytes /gm)).toHaveLength(1)
    await first.stop({ release: false })
    agents.splice(agents.indexOf(first), 1)
    await expect(fetch(`http://127.0.0.1:${base + 3}/metrics`)).rejects.toThrow()
    await start(base + 4)
    const text = await scrape(base + 4)
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

  it('refuses to start on a port in use, naming the field', async () => {
    await start(base + 5)
    await expect(start(base + 5, [], 'second')).rejects.toMatchObject({
      path: 'metrics.listen',
      message: expect.stringContaining(`metrics.listen: 127.0.0.1:${base + 5} is in use`),
    })
  })
})
