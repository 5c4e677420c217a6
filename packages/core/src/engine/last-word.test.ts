import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../test/fakes/fake-clock.js'
import { configSchema } from '../config/schema.js'
import { decodeHeartbeat } from '../heartbeat/codec.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import { ReplayGuard } from '../heartbeat/replay-guard.js'
import type { LastWord } from '../model/ports.js'
import { heartbeatSender } from './heartbeat-sender.js'
import { newCounters } from './status.js'

/**
 * The last word the guard would send is a goodbye one number past the last heartbeat on its link:
 * a peer accepts it only if nothing newer came, so a word the agent outlived is a replay.
 */
const KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))

function sender() {
  const config = configSchema.parse({
    node: 'a',
    key: '/dev/null',
    interval: '1s',
    deadAfter: '3s',
    links: [
      { name: 'private', targets: ['10.1.0.2'] },
      { name: 'public', targets: ['10.0.0.2'] },
    ],
  })
  const sent: { link: string; data: Buffer }[] = []
  let words: readonly LastWord[] = []
  const beats = heartbeatSender({
    config,
    keys: KEYS,
    clock: new FakeClock(),
    transport: {
      start: async () => {},
      send: (link, data) => sent.push({ link, data }),
      close: async () => {},
    },
    incarnation: 5,
    counters: newCounters(['lan']),
    advertise: () => ({
      state: 'healthy',
      held: [{ ip: '10.0.0.100', prefix: 24, family: 4, status: 'held' }],
      fit: null,
    }),
    emit: () => {},
    beforeBeat: () => {},
    afterBeat: () => {},
    lastWord: (w) => {
      words = w
    },
  })
  const decode = (data: Uint8Array) => {
    const d = decodeHeartbeat(Buffer.from(data), KEYS)
    if (!d.ok) throw new Error(d.detail)
    return d.heartbeat
  }
  return { beats, sent, words: () => words, decode }
}

describe('the last word', () => {
  it('is a goodbye holding nothing, one number past the heartbeat just sent, on every link', () => {
    const { beats, sent, words, decode } = sender()
    beats.now()
    beats.now()
    expect(words().map((w) => w.link)).toEqual(['private', 'public'])
    for (const w of words()) {
      const beat = decode(sent.filter((s) => s.link === w.link).at(-1)!.data)
      const word = decode(w.data)
      expect(word).toMatchObject({ node: 'a', link: w.link, incarnation: 5, state: 'stopping', held: [] })
      expect(word.seq).toBe(beat.seq + 1)
    }
  })

  it('is accepted after the heartbeats it follows, and refused once the agent sent another', () => {
    const { beats, sent, words, decode } = sender()
    beats.now()
    const word = decode(words().find((w) => w.link === 'public')!.data)
    const first = decode(sent.find((s) => s.link === 'public')!.data)

    const heardOnlyThat = new ReplayGuard()
    expect(heardOnlyThat.accept('a', 'public', first.incarnation, first.seq).ok).toBe(true)
    expect(heardOnlyThat.accept('a', 'public', word.incarnation, word.seq).ok).toBe(true)

    beats.now()
    const second = decode(sent.filter((s) => s.link === 'public').at(-1)!.data)
    const heardMore = new ReplayGuard()
    heardMore.accept('a', 'public', first.incarnation, first.seq)
    heardMore.accept('a', 'public', second.incarnation, second.seq)
    expect(heardMore.accept('a', 'public', word.incarnation, word.seq)).toMatchObject({ ok: false })
  })
})

describe('the sending time (sentAt)', () => {
  // Peers take what a heartbeat holds only from one at least as new as the last they used: two rounds
  // stamped alike and delivered in the other order let the older win (the simulator's
  // two-holders-defaults-2171: a check's verdict changed in the millisecond of a beat).
  it('is later at every round, even two in one millisecond; the last word is later still', () => {
    const { beats, sent, words, decode } = sender()
    beats.now()
    beats.now()
    const [first, second] = sent.filter((s) => s.link === 'public').map((s) => decode(s.data).sentAt)
    expect(second).toBeGreaterThan(first as number)
    expect(sent.filter((s) => s.link === 'private').map((s) => decode(s.data).sentAt)).toEqual([
      first,
      second,
    ])
    expect(decode(words()[0]!.data).sentAt).toBeGreaterThan(second as number)
  })
})
