import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freeUdpPort } from '@ipfo/testkit'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { simulatedAddressControl } from '../src/adapters/address/simulated-address-control.js'
import { generateKey, writeKeyFile } from '../src/adapters/key-file.js'
import { type RunningAgent, startAgent } from '../src/agent/agent.js'
import type { IpfoEvent } from '../src/model/events.js'
import type { AddressControl } from '../src/model/ports.js'

let dir: string
let agent: RunningAgent | undefined
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-order-'))
})
afterEach(async () => {
  await agent?.stop({ release: false })
  agent = undefined
  await rm(dir, { recursive: true, force: true })
})

/**
 * The takeover's turn: the address is added before the events that decided it are written (the
 * log, `ipfo events`, notifications, metrics), and they are written after, in order, each line
 * stamped when its event happened.
 */
describe("an agent's events", () => {
  it('reach their sinks after the turn that made them: a takeover adds its address first', async () => {
    const key = join(dir, 'heartbeat.key')
    await writeKeyFile(key, generateKey(), { force: true })
    const [port, peerPort] = [await freeUdpPort(), await freeUdpPort()]
    const file = join(dir, 'a.json')
    await writeFile(
      file,
      JSON.stringify({
        node: 'a',
        key,
        interval: '50ms',
        deadAfter: '150ms',
        links: [{ name: 'private', listen: '127.0.0.1', port, targets: [`127.0.0.1:${peerPort}`] }],
        peers: [{ id: 'b', takeover: [{ interface: 'demo0', address: '192.0.2.100/24' }] }],
        paths: { socket: join(dir, 'a.sock'), stateDir: join(dir, 'state') },
        hooks: { dir: join(dir, 'no-hooks') },
      }),
    )
    const seen: IpfoEvent[] = []
    let seenAtAdd: string[] | undefined
    let addedAt = 0
    const simulated = simulatedAddressControl(join(dir, 'addresses.json'))
    const address: AddressControl = {
      ...simulated,
      add: (a, opts) => {
        seenAtAdd ??= seen.map((e) => e.kind)
        addedAt = Date.now()
        return simulated.add(a, opts)
      },
    }
    const log = join(dir, 'events.log')
    agent = await startAgent({
      configFile: file,
      platform: 'linux',
      address,
      log,
      onEvent: (e) => seen.push(e),
    })
    // b never runs: a takes its address over once b has been silent for deadAfter.
    await vi.waitFor(() => expect(seen.map((e) => e.kind)).toContain('acquired'), { timeout: 10_000 })
    expect(seenAtAdd).toBeDefined()
    expect(seenAtAdd).not.toContain('acquiring')
    expect(seenAtAdd).not.toContain('peer-lost')
    const kinds = seen.map((e) => e.kind)
    expect(kinds).toContain('peer-lost')
    expect(kinds.indexOf('peer-lost')).toBeLessThan(kinds.indexOf('acquiring'))
    expect(kinds.indexOf('acquiring')).toBeLessThan(kinds.indexOf('acquired'))
    const acquiring = seen.find((e) => e.kind === 'acquiring')!
    expect(acquiring.time).toBeLessThanOrEqual(addedAt)
    // The log line says when the decision was made, not when it was written.
    await vi.waitFor(async () => expect(await readFile(log, 'utf8')).toContain('"kind":"acquiring"'))
    const line = (await readFile(log, 'utf8')).split('\n').find((l) => l.includes('"kind":"acquiring"'))!
    const parsed = JSON.parse(line) as { time: string; eventTime: string }
    expect(parsed.time).toBe(new Date(acquiring.time).toISOString())
    expect(parsed.eventTime).toBe(parsed.time)
  })
})
