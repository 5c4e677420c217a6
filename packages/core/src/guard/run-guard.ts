import { type GuardHello, parseGuardLine } from '../adapters/guard-protocol.js'
import { addressKey } from '../model/ip.js'
import type { AddressControl, GuardBrief } from '../model/ports.js'

/** Sends a link's last word to every target of the link; resolves once the sends are done. */
export interface WordSender {
  send(link: string, data: Uint8Array): Promise<void>
  close(): void
}

export type GuardOutcome =
  /** The agent stopped cleanly (or died before saying who it was): nothing was done. */
  | { readonly kind: 'stood-down' }
  | {
      readonly kind: 'acted'
      /** What the agent said at start: who it was, where it logs. */
      readonly hello: GuardHello
      readonly node: string
      readonly removed: readonly string[]
      readonly kept: readonly string[]
      /** The links the last word went out on; none when an address could not be removed. */
      readonly lastWord: readonly string[]
      readonly failures: readonly string[]
      /** Ms from the pipe's close to the first copy of the last word sent (or the removals done). */
      readonly tookMs: number
    }

export interface GuardDeps {
  /** The platform's address control, made once the agent said which platform (its helpers start then). */
  readonly address: (hello: GuardHello) => AddressControl
  readonly sender: (hello: GuardHello) => WordSender
  /** A line the guard could not read: a defect of the agent, reported and passed over. */
  readonly onBadLine: (message: string) => void
  /**
   * Optional: ends what the dead agent left running that could still change an address (its
   * `ip -batch` may hold an add written just before the crash, which would land after the guard's
   * remove), and resolves once it is gone; or resolves to why it could not.
   */
  readonly endLeftovers?: () => Promise<string | undefined>
}

/**
 * The guard's whole life: it reads what the agent tells it until the pipe closes. A stand-down before
 * that means a clean stop. Otherwise the agent died without a word (kill -9, a crash, an OOM kill)
 * and the guard does what the last brief said: it removes the addresses a live peer will take, and
 * only once every one of them is gone sends the last word on every link, so the peer takes over at
 * once and never while this host still answers for an address. The others it leaves in place.
 */
export async function runGuard(lines: AsyncIterable<string>, deps: GuardDeps): Promise<GuardOutcome> {
  let hello: GuardHello | undefined
  let address: AddressControl | undefined
  let sender: WordSender | undefined
  let brief: GuardBrief = { handOver: [], keep: [] }
  let words: { link: string; data: string }[] = []
  let stoodDown = false
  for await (const line of lines) {
    if (line.trim() === '') continue
    let msg: ReturnType<typeof parseGuardLine>
    try {
      msg = parseGuardLine(line)
    } catch (error) {
      deps.onBadLine(error instanceof Error ? error.message : String(error))
      continue
    }
    if (msg.t === 'hello') {
      const first = address === undefined
      hello = msg
      address = deps.address(msg)
      sender = deps.sender(msg)
      // Once through the removal's path (a read-only round trip through the `ip -batch`), so that it
      // is not run cold, first, at the agent's death (it took some 5 ms). Now, while the agent
      // starts: not at the first brief with something to hand over, which comes with a takeover and
      // would have the guard's work compete with the agent's for a core just then.
      if (first) void address.rehearse?.([]).catch(() => {})
    } else if (msg.t === 'brief') {
      brief = msg
    } else if (msg.t === 'word') words = msg.words
    else stoodDown = true
  }
  const closedAt = performance.now()
  try {
    if (stoodDown || !hello || !address || !sender) return { kind: 'stood-down' }
    // Nothing on the interface to hand over or keep: nothing to do, and nothing to report.
    if (brief.handOver.length === 0 && brief.keep.length === 0) return { kind: 'stood-down' }
    const failures: string[] = []
    if (brief.handOver.length > 0) {
      const leftover = await deps.endLeftovers?.()
      if (leftover) failures.push(leftover)
    }
    const removals = await Promise.allSettled(brief.handOver.map((a) => address.remove(a)))
    const removed: string[] = []
    removals.forEach((r, i) => {
      const key = addressKey(brief.handOver[i]!)
      if (r.status === 'fulfilled') removed.push(key)
      else
        failures.push(`removing ${key}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`)
    })
    let tookMs = Math.round((performance.now() - closedAt) * 10) / 10
    const lastWord: string[] = []
    // A word while an address is still here would have the peer add it too: then it waits for deadAfter.
    // (The brief is all or nothing: with anything to keep, nothing is handed over and no word goes out.)
    if (failures.length === 0 && removed.length > 0) {
      const sent = await Promise.allSettled(
        words.map((w) =>
          sendRepeated(sender, w.link, Buffer.from(w.data, 'base64'), () => {
            tookMs = Math.round((performance.now() - closedAt) * 10) / 10
          }),
        ),
      )
      sent.forEach((r, i) => {
        const link = words[i]!.link
        if (r.status === 'fulfilled') lastWord.push(link)
        else
          failures.push(
            `last word on ${link}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`,
          )
      })
    }
    return {
      kind: 'acted',
      hello,
      node: hello.node,
      removed,
      kept: brief.keep.map(addressKey),
      lastWord,
      failures,
      tookMs,
    }
  } finally {
    sender?.close()
    address?.close?.()
  }
}

/** Copies of one word, a few ms apart: a lost datagram must not cost the peer deadAfter. */
const WORD_COPIES = 3
const WORD_SPACING_MS = 5

/**
 * Sends a word WORD_COPIES times. The addresses are already gone, so a word that never arrives leaves
 * them unheld until the peer's deadAfter; a copy that arrives after the first is refused as a replay,
 * harmlessly. Succeeds if any copy went out.
 */
async function sendRepeated(
  sender: WordSender,
  link: string,
  data: Uint8Array,
  firstSent: () => void,
): Promise<void> {
  let lastError: unknown
  let sent = false
  for (let i = 0; i < WORD_COPIES; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, WORD_SPACING_MS))
    try {
      await sender.send(link, data)
      if (!sent) firstSent()
      sent = true
    } catch (error) {
      lastError = error
    }
  }
  if (!sent) throw lastError
}
