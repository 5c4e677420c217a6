import type { Config } from '../config/schema.js'
import { encodeHeartbeat } from '../heartbeat/codec.js'
import type { KeyRing } from '../heartbeat/key-ring.js'
import type { AdvertisedAddress, HeardPeer, NodeStateCode, OrderView } from '../model/advertised.js'
import type { Clock, LastWord, TimerHandle, Transport } from '../model/ports.js'
import type { Emit } from './event-stream.js'
import type { BeatLag, Counters } from './status.js'

/** What one round of heartbeats says, the same on every link. */
export interface Words {
  readonly state: NodeStateCode
  readonly held: AdvertisedAddress[]
  /** The fit list (heartbeat version 2), or null to say nothing of fitness (version 1). */
  readonly fit: string[] | null
  /** The orders and the peers heard directly (version 3); absent or null: an older version. */
  readonly orders?: OrderView[] | null
  readonly heard?: HeardPeer[] | null
}

/** A stall this much beyond the heartbeat timer's due time is reported as `loop-stalled`. */
const STALL_FACTOR = 1

/**
 * How far ahead a last word is numbered and stamped. A peer takes a goodbye only if it is newer than
 * everything it heard on that link (its sequence number) and than the state it holds (its stamp), so
 * a word made once stands for the agent's death until the heartbeats reach its number or its stamp:
 * about this long. It is then made again, in the turn of the round that reached it. At fast intervals
 * that is one word a second instead of one a beat (two HMACs and a write to the guard's pipe a beat,
 * and the guard woken each time: issue 23's idle cost).
 */
export const WORD_HORIZON_MS = 1_000

export interface HeartbeatSenderDeps {
  readonly config: Config
  readonly keys: KeyRing
  readonly clock: Clock
  readonly transport: Transport
  readonly incarnation: number
  readonly counters: Counters
  /** What this node says about itself now. */
  readonly advertise: () => Words
  readonly emit: Emit
  /** Runs at every beat before anything is sent (the pause check), and after (saving replay marks). */
  readonly beforeBeat: (now: number) => void
  readonly afterBeat: () => void
  /**
   * Given the last words that stand for this node's death (a goodbye per link, numbered and stamped
   * past every heartbeat sent so far): the guard sends them if the agent dies. Given again, in the
   * same turn as the sending, whenever a round would pass them (see `WORD_HORIZON_MS`).
   */
  readonly lastWord?: (words: readonly LastWord[]) => void
}

/**
 * The one place that decides when heartbeats go out, on every link at once:
 * - every `interval`, on a timer scheduled against the plan rather than against now (no drift; beats
 *   lost to a stall are skipped and the stall is reported);
 * - `now()`, when the machine says its state changed in a way peers must learn at once;
 * - `afterThisTurn()`, when a checklist starts: once this turn of the event loop has run its first
 *   steps (with no hooks, the address change is then already written), peers learn it is under way.
 */
export function heartbeatSender(deps: HeartbeatSenderDeps) {
  const { config, clock, counters } = deps
  const linkNames = config.links.map((l) => l.name)
  const seqByLink = new Map<string, number>(linkNames.map((l) => [l, 0]))
  let timer: TimerHandle | undefined
  let nextBeatAt = 0
  let lastSentAt = 0
  // The process's CPU time at the last beat (µs), to tell a busy stall from one spent not running.
  let cpuAtLastBeat = clock.cpuMicros?.()
  let lastBeatAt = clock.now()

  /**
   * The wall clock, but later than the last round's stamp: a peer takes `held` and `fit` only from a
   * heartbeat at least as new as the last it used, so two rounds in one millisecond (a beat and a
   * verdict's change) that the links deliver in the other order must not look alike: the older
   * would win. A wall clock stepped back does not make a round look older either.
   */
  function stamp(): number {
    return Math.max(clock.wallNow(), lastSentAt + 1)
  }

  function packet(link: string, seq: number, words: Words, sentAt: number): Buffer {
    const { node, interval: intervalMs } = config
    const { incarnation } = deps
    const { state, held, fit, orders = null, heard = null } = words
    return encodeHeartbeat(
      { node, link, incarnation, seq, sentAt, intervalMs, state, held, fit, orders, heard },
      deps.keys,
    )
  }

  function now(): void {
    const words = deps.advertise()
    const sentAt = stamp()
    lastSentAt = sentAt
    for (const link of linkNames) {
      const seq = (seqByLink.get(link) ?? 0) + 1
      seqByLink.set(link, seq)
      deps.transport.send(link, packet(link, seq, words, sentAt))
      counters.sent++
      const onLink = counters.links[link]
      if (onLink) onLink.sent++
    }
    if (deps.lastWord) giveLastWord(words)
  }

  /** The last words given now: per link the number they carry, their stamp, what they say of versions. */
  let word: { seq: Map<string, number>; stampedAt: number; versions: string } | undefined

  function giveLastWord(words: Words): void {
    // Fit for nothing, hearing nobody: it will serve nothing more (and speaks the version the
    // heartbeat did). It holds nothing, so peers take it for gone at once.
    const versions = `${words.fit === null}|${words.heard == null}|${JSON.stringify(words.orders ?? null)}`
    const passed =
      word === undefined ||
      word.versions !== versions ||
      lastSentAt >= word.stampedAt ||
      linkNames.some((link) => (seqByLink.get(link) ?? 0) >= (word?.seq.get(link) ?? 0))
    if (!passed) return
    const goodbye: Words = {
      state: 'stopping',
      held: [],
      fit: words.fit && [],
      orders: words.orders ?? null,
      heard: words.heard && [],
    }
    // Numbered past the beats the horizon holds at this interval (and one more), stamped past them.
    const ahead = Math.ceil(WORD_HORIZON_MS / config.interval) + 1
    const stampedAt = stamp() + WORD_HORIZON_MS
    const seq = new Map(linkNames.map((link) => [link, (seqByLink.get(link) ?? 0) + ahead]))
    word = { seq, stampedAt, versions }
    deps.lastWord?.(
      linkNames.map((link) => ({ link, data: packet(link, seq.get(link) ?? 1, goodbye, stampedAt) })),
    )
  }

  function beat(): void {
    const at = clock.now()
    deps.beforeBeat(at)
    const lag = at - nextBeatAt
    counters.maxLoopLagMs = Math.max(counters.maxLoopLagMs, lag)
    countLag(counters.beatLag, lag)
    const cpu = clock.cpuMicros?.()
    if (lag > config.interval * STALL_FACTOR) {
      counters.loopStalls++
      const ran = cpu !== undefined && cpuAtLastBeat !== undefined ? cpu - cpuAtLastBeat : undefined
      deps.emit({
        kind: 'loop-stalled',
        stalledMs: lag,
        ...(ran === undefined ? {} : { ranMs: Math.round(ran / 100) / 10, spanMs: at - lastBeatAt }),
      })
    }
    cpuAtLastBeat = cpu
    lastBeatAt = at
    now()
    deps.afterBeat()
    nextBeatAt += config.interval
    if (nextBeatAt <= at) nextBeatAt = at + config.interval
    timer = clock.setTimeout(beat, nextBeatAt - at)
  }

  return {
    /** Sends the first beat now and keeps beating every interval. */
    start(): void {
      nextBeatAt = clock.now()
      beat()
    },
    now,
    afterThisTurn(): void {
      clock.afterIo(now)
    },
    stop(): void {
      if (timer) clock.clearTimeout(timer)
      timer = undefined
    },
    /**
     * A heartbeat as it would be sent on the first link, never sent: the takeover rehearsal encodes
     * one (seq 1 leaves the numbering of the real ones untouched).
     */
    rehearse(words: Words): Buffer {
      return packet(linkNames[0] ?? '', 1, words, clock.wallNow())
    },
  }
}

/** One beat's lag into the histogram: no allocation, at most a dozen comparisons. */
function countLag(histogram: BeatLag, lag: number): void {
  const late = Math.max(0, lag)
  const { boundsMs, counts } = histogram
  let i = 0
  while (i < boundsMs.length && late > boundsMs[i]!) i++
  counts[i]!++
  histogram.sumMs += late
}
