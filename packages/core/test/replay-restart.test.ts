import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileReplayStore } from '../src/adapters/replay-file.js'
import { createEngine } from '../src/engine/engine.js'
import { engineConfig, TEST_KEYS, TEST_LINKS, TEST_VIP } from './fakes/engine-nodes.js'
import { FakeAddressControl } from './fakes/fake-address-control.js'
import { FakeClock } from './fakes/fake-clock.js'
import { FakeNetwork } from './fakes/fake-network.js'

/**
 * A receiver restarted with the marks of its last run refuses a heartbeat recorded before the
 * restart; one started without them (the same packet, a fresh state folder) takes it.
 */
describe('replay marks across a restart', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-marks-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function replayAfterRestart(stateOfRestart: (firstRun: string) => string) {
    const clock = new FakeClock()
    const net = new FakeNetwork(() => clock.now())
    const engine = (id: string, extra: object, stateDir?: string) =>
      createEngine({
        config: engineConfig(id, extra),
        keys: TEST_KEYS,
        clock,
        transport: net.transport(id, TEST_LINKS),
        address: new FakeAddressControl(() => clock.now(), id, []),
        onEvent: () => undefined,
        ...(stateDir ? { replayStore: fileReplayStore(stateDir) } : {}),
      })
    const a = engine('a', { owns: [TEST_VIP], peers: [{ id: 'b' }] })
    const firstRun = join(dir, 'first')
    const b = engine('b', { peers: [{ id: 'a', takeover: [TEST_VIP] }] }, firstRun)
    await a.start()
    await b.start()
    await clock.advance(2_000)
    // The last of a's heartbeats b heard: what someone on the link recorded.
    const recorded = net.sent.filter((s) => s.from === 'a').at(-1)?.data
    expect(recorded).toBeDefined()
    await Promise.all([b.stop(), clock.advance(200)])
    // a falls silent; b starts again and is played the recording.
    for (const link of TEST_LINKS) net.setCut('a', link, true)
    const b2 = engine('b', { peers: [{ id: 'a', takeover: [TEST_VIP] }] }, stateOfRestart(firstRun))
    await b2.start()
    net.inject('b', recorded as Buffer)
    await clock.advance(10)
    const dropped = b2.status().counters.dropped.replay ?? 0
    await Promise.all([a.stop(), b2.stop(), clock.advance(200)])
    return dropped
  }

  it('refuses the recording with the marks saved by the run before', async () => {
    expect(await replayAfterRestart((first) => first)).toBe(1)
  })

  it('takes it without them (the test above would pass for nothing otherwise)', async () => {
    expect(await replayAfterRestart(() => join(dir, 'fresh'))).toBe(0)
  })
})
