import { describe, expect, it } from 'vitest'
import { FakeAddressControl } from '../../test/fakes/fake-address-control.js'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { FakeNetwork } from '../../test/fakes/fake-network.js'
import { RecordingHooks } from '../../test/fakes/recording-hooks.js'
import { configSchema } from '../config/schema.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import type { IpfoEvent } from '../model/events.js'
import type { Journal, JournalEntry } from '../model/ports.js'
import { createEngine } from './engine.js'

const KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))
const VIP = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 as const }

class MemoryJournal implements Journal {
  readonly entries = new Map<string, JournalEntry>()
  readonly writes: string[] = []
  async write(entry: JournalEntry) {
    this.entries.set(entry.key, entry)
    this.writes.push(`${entry.action}:${entry.reached}`)
  }
  async remove(key: string) {
    this.entries.delete(key)
    this.writes.push('removed')
  }
  async leftovers() {
    return [...this.entries.values()]
  }
}

/**
 * Node b, which takes over a's VIP; its journal and interfaces as an earlier run left them. Its hook
 * folders have a script for every phase, or none for PreAcq (`preAcqScript` false).
 */
function nodeB(journal: MemoryJournal, present: boolean, preAcqScript = true) {
  const clock = new FakeClock()
  const net = new FakeNetwork(() => clock.now())
  const address = new FakeAddressControl(() => clock.now(), 'b')
  if (present) address.held.add('10.0.0.100/24@eth0')
  const hooks = new RecordingHooks()
  if (!preAcqScript) hooks.withoutScripts.add('PreAcq')
  const events: IpfoEvent[] = []
  const engine = createEngine({
    config: configSchema.parse({
      node: 'b',
      key: '/dev/null',
      interval: '100ms',
      deadAfter: '300ms',
      links: [{ name: 'private', targets: ['10.1.0.255'] }],
      peers: [{ id: 'a', takeover: [{ interface: 'eth0', address: '10.0.0.100/24' }] }],
      announce: { count: 1, interval: '10ms' },
    }),
    keys: KEYS,
    clock,
    transport: net.transport('b', ['private']),
    address,
    hooks,
    journal,
    onEvent: (e) => events.push(e),
  })
  return { clock, address, hooks, events, engine }
}

const entry = (reached: JournalEntry['reached']): JournalEntry => ({
  key: '1-1',
  action: 'acquire',
  owner: 'a',
  peer: 'a',
  addresses: [VIP],
  reason: 'peer a lost',
  reached,
})

describe('recovering a checklist an earlier run did not finish', () => {
  it('an acquire killed between the add and PostAcq is finished: announce, PostAcq, notify', async () => {
    const journal = new MemoryJournal()
    journal.entries.set('1-1', entry('changed'))
    const b = nodeB(journal, true)
    await b.engine.start()
    await b.clock.advance(50)
    expect(b.events.find((e) => e.kind === 'checklist-recovered')).toMatchObject({
      action: 'acquire',
      owner: 'a',
      decision: 'finished',
      reason: 'the addresses were added; PostAcq had not run',
    })
    expect(b.hooks.calls.map((c) => c.what)).toEqual(['PostAcq'])
    expect(b.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['announced', 'notify']))
    expect(b.address.log.map((o) => o.op)).not.toContain('remove')
    expect(b.engine.state().resources.a?.status).toBe('held')
    expect(journal.entries.size).toBe(0)
  })

  it('an acquire killed before its add completed is rolled back, and says so', async () => {
    const journal = new MemoryJournal()
    journal.entries.set('1-1', entry('started'))
    const b = nodeB(journal, false)
    await b.engine.start()
    expect(b.events.find((e) => e.kind === 'checklist-recovered')).toMatchObject({
      decision: 'rolled-back',
      reason: 'the addresses had not all been added; any that were are removed',
      hooksUndone: false,
    })
    expect(b.hooks.calls).toEqual([])
    // Only the entry armed for the next takeover is left.
    expect([...journal.entries.values()].map((e) => `${e.key}:${e.reached}`)).toEqual(['armed-a:armed'])
  })

  it('an acquire whose addresses are all there is finished even if the journal did not hear of the add', async () => {
    const journal = new MemoryJournal()
    journal.entries.set('1-1', entry('started'))
    const b = nodeB(journal, true)
    await b.engine.start()
    await b.clock.advance(50)
    expect(b.events.find((e) => e.kind === 'checklist-recovered')).toMatchObject({ decision: 'finished' })
    expect(b.address.log.map((o) => o.op)).not.toContain('remove')
    expect(b.hooks.calls.map((c) => c.what)).toEqual(['PostAcq'])
  })

  it.each([
    ['killed after its PreAcq began', 'prepared'],
    ['whose addresses a reboot took after its add', 'changed'],
  ] as const)(
    'an acquire %s is rolled back, and PreRel and PostRel undo PreAcq before the agent takes part',
    async (_, reached) => {
      const journal = new MemoryJournal()
      journal.entries.set('1-1', entry(reached))
      const b = nodeB(journal, false)
      await b.engine.start()
      // Undone by the time the engine is up: no checklist of the machine's can run beside it.
      expect(b.hooks.calls).toEqual([
        { what: 'PreRel', action: 'release', owner: 'a' },
        { what: 'PostRel', action: 'release', owner: 'a' },
      ])
      const kinds = b.events.map((e) => e.kind)
      expect(kinds.indexOf('checklist-recovered')).toBeLessThan(kinds.indexOf('agent-started'))
      expect(b.events.find((e) => e.kind === 'checklist-recovered')).toMatchObject({
        action: 'acquire',
        decision: 'rolled-back',
        hooksUndone: true,
      })
      expect(b.address.log.map((o) => o.op)).not.toContain('add')
    },
  )

  it.each([
    [false, ['acquire:armed', 'acquire:changed', 'removed']],
    [true, ['acquire:armed', 'acquire:prepared', 'acquire:changed', 'removed']],
  ])(
    'a takeover (PreAcq script: %s) is written down before it starts (armed), then changed, and the entry removed when done',
    async (preAcqScript, writes) => {
      const journal = new MemoryJournal()
      const b = nodeB(journal, false, preAcqScript)
      await b.engine.start()
      await b.clock.advance(400)
      expect(b.events.map((e) => e.kind)).toContain('acquired')
      expect(journal.writes).toEqual(writes)
      expect(journal.entries.size).toBe(0)
    },
  )

  /** b starts again with the entry armed before its last run ended; its interface has the VIP or not. */
  async function restartArmed(present: boolean) {
    const journal = new MemoryJournal()
    journal.entries.set('armed-a', { ...entry('armed'), key: 'armed-a' })
    const b = nodeB(journal, present)
    await b.engine.start()
    await b.clock.advance(50)
    return { journal, b }
  }

  it('an armed acquire found with every address present is finished, as a started one is', async () => {
    const { journal, b } = await restartArmed(true)
    expect(b.events.find((e) => e.kind === 'checklist-recovered')).toMatchObject({ decision: 'finished' })
    expect(b.hooks.calls.map((c) => c.what)).toEqual(['PostAcq'])
    expect(journal.entries.size).toBe(0)
  })

  it('an armed acquire found with no address present is dropped without a word, and armed again', async () => {
    const { journal, b } = await restartArmed(false)
    expect(b.events.map((e) => e.kind)).not.toContain('checklist-recovered')
    expect(b.hooks.calls).toEqual([])
    expect(journal.writes).toEqual(['removed', 'acquire:armed'])
  })

  it("with no PreAcq script, the takeover's add does not wait for the disk: the entry was written before the peer was lost", async () => {
    // Every journal write takes 200 ms (a slow disk's fsync).
    const slow = new MemoryJournal()
    let clock: FakeClock | undefined
    const write = slow.write.bind(slow)
    slow.write = async (e) => {
      await new Promise<void>((resolve) => clock!.setTimeout(resolve, 200))
      await write(e)
    }
    const b = nodeB(slow, false, false)
    clock = b.clock
    await b.engine.start()
    await b.clock.advance(1_000)
    const at = (kind: string) => b.events.find((e) => e.kind === kind)?.time
    expect(at('acquired')! - at('acquiring')!).toBeLessThan(200)
    expect(slow.writes.slice(0, 2)).toEqual(['acquire:armed', 'acquire:changed'])
  })
})
