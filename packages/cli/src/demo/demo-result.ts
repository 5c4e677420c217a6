import type { Stage } from './stage.js'

/** What `ipfo demo --json` returns. The two-node demo's fields; `trio` only with `--nodes 3`. */
export interface DemoResult {
  mode: Stage['mode']
  vip: string
  /** From the kill of a's agent to b's `acquired` event. */
  takeoverMs: number
  /** The longest run of unanswered client probes during the takeover (namespaces only). */
  clientOutageMs: number | null
  /** From a's restart to a's `acquired` event (b, or with three nodes c, released first). */
  failbackMs: number
  /** Samples of the interfaces during failback that showed the VIP on two nodes: must be 0. */
  doubleHeldSamples: number
  holderSamples: number
  /** What the stage did without (a missing tool), or null. */
  caveat: string | null
  /** The three-node demo (`--nodes 3`) only: what it has besides the pair's story. */
  trio?: TrioResult
}

/** A takeover: `died` was killed and cut off, and the next node of the order took the VIP over. */
export interface DemoTakeover {
  died: string
  /** From the kill to the taker's `acquired` event. */
  takeoverMs: number
  /** The longest run of unanswered client probes during it (namespaces only). */
  clientOutageMs: number | null
  /** Who held the VIP once it was done, read from the interfaces of the nodes still alive. */
  holders: string[]
}

export interface TrioResult {
  /** The VIP's order as c's agent reported it with all three running: a, b, c. */
  order: string[]
  /** a dies (b takes over; also the top-level takeoverMs and clientOutageMs), then b dies too (c takes over). */
  takeovers: DemoTakeover[]
  /** Who held the VIP after the failback, read from the interfaces of a and c (b is dead): a alone. */
  failbackHolders: string[]
  /** Every `acquired` event of the story, in order: a, b, c, a when everything went as it should. */
  acquisitions: string[]
}

/** The fields every demo result has: the first takeover and the failback of the VIP to a. */
export function demoResult(
  stage: Pick<Stage<string>, 'mode' | 'vip' | 'caveat'>,
  takeover: Pick<DemoTakeover, 'takeoverMs' | 'clientOutageMs'>,
  failback: Pick<DemoResult, 'failbackMs' | 'doubleHeldSamples' | 'holderSamples'>,
): DemoResult {
  return {
    mode: stage.mode,
    vip: stage.vip,
    takeoverMs: takeover.takeoverMs,
    clientOutageMs: takeover.clientOutageMs,
    failbackMs: failback.failbackMs,
    doubleHeldSamples: failback.doubleHeldSamples,
    holderSamples: failback.holderSamples,
    caveat: stage.caveat ?? null,
  }
}
