import type { AdvertisedAddress, NodeStateCode, OrderView } from '../model/advertised.js'
import type { InterfaceAddress } from '../model/ip.js'

export interface LinkView {
  /** Monotonic time of the last valid heartbeat on this link; null if never heard. */
  readonly lastSeen: number | null
  readonly up: boolean
  /** A heartbeat-lost event was emitted and not yet answered by heartbeat-restored. */
  readonly reportedLost: boolean
}

export interface PeerView {
  readonly id: string
  readonly links: Readonly<Record<string, LinkView>>
  /** Heard on at least one link within deadAfter. */
  readonly alive: boolean
  /** Declared lost (every link silent for deadAfter) and not heard since. */
  readonly lost: boolean
  readonly everHeard: boolean
  readonly aliveSince: number | null
  readonly anomaly: boolean
  readonly anomalyDown: readonly string[]
  /**
   * Since when some links have been down while others are up. Links lost together go down a few
   * milliseconds apart, and come back so; the anomaly is reported only once the split has lasted one
   * heartbeat interval.
   */
  readonly mixedSince: number | null
  readonly incarnation: number | null
  readonly state: NodeStateCode | null
  readonly held: readonly AdvertisedAddress[]
  /**
   * The addresses the peer says it could serve and is fit for (heartbeat version 2); null while it
   * says nothing (version 1: it has no health checks). See fitness.ts.
   */
  readonly fit: readonly string[] | null
  /** When `fit` last changed (or was first heard): a failback waits for an owner fit this long. */
  readonly fitSince: number | null
  /**
   * `sentAt` of the heartbeat `held` came from. Links deliver at different speeds (a link coming back
   * up hands over older packets): only a heartbeat at least this new may change what the peer holds.
   */
  readonly heldSentAt: number | null
  /**
   * The peer as other peers hear it (their heartbeats' heard lists, issue 20): `lastSeen` is the
   * latest moment any of them last heard it directly, `via` who said so, `detail` whether that report
   * carried what the peer holds and is fit for. A peer heard this way is alive though every link here
   * is silent: a partial partition is not a death. Only direct hearing is relayed (two hops at most).
   */
  readonly relay: { readonly lastSeen: number; readonly via: string; readonly detail: boolean } | null
  /** Alive only through `relay` (every link here silent); reported as peer-indirect. */
  readonly indirect: boolean
  /** The peer's view of each order it knows (heartbeat version 3); null while it says nothing. */
  readonly orders: readonly OrderView[] | null
}

export type ResourceStatus = 'waiting' | 'idle' | 'acquiring' | 'held' | 'releasing'

/**
 * A set of addresses with one owner. This node's own addresses form the resource keyed by its own
 * id; each watched peer's takeover addresses form the resource keyed by that peer's id.
 */
export interface Resource {
  readonly owner: string
  readonly addresses: readonly InterfaceAddress[]
  readonly status: ResourceStatus
  /** Monotonic time the status last changed. */
  readonly since: number
  /** Held because an operator said so: no automatic failback until `ipfo release`. */
  readonly manual: boolean
  /** Released by an operator (own addresses): no automatic claim until `ipfo takeover`. */
  readonly heldBack: boolean
  /**
   * After a checklist ended without changing addresses (Test said notification-only, a strict phase
   * failed, a command failed) the resource is not retried until `retryAt`, or until its trigger
   * changes when `retryAt` is null.
   */
  readonly blocked: {
    readonly action: 'acquire' | 'release'
    readonly retryAt: number | null
    /** The block also ends when the owner's liveness changes (Test's "notification only"). */
    readonly untilChange: boolean
    /** Quorum: the block also ends when the key another node held goes (`claim-freed`) or the quorum returns. */
    readonly untilFree?: boolean
    /**
     * A refused release: whether the owner was heard holding its addresses itself when it came. One
     * refused before (a give-back) is asked again at once when the owner forces its claim.
     */
    readonly ownerHeld?: boolean
  } | null
  /** While waiting to claim an own address a peer still holds: since when (claim-waiting reported). */
  readonly waitingSince: number | null
  /**
   * The claim clock: since when the holder has been heard, without a break, plainly holding the
   * addresses (`held`, not `releasing` or `kept`, not in maintenance) while this node could claim
   * them. A forced claim needs claimTimeout of it; anything else stops it, and it starts afresh.
   */
  readonly claimClockSince: number | null
  readonly failbackReported: boolean
  /**
   * A live peer advertises these addresses while this node holds them (both held them during a
   * split, or while this node was paused). When the peer lets go, this node announces them again so
   * switches and clients learn its MAC.
   */
  readonly contestedBy: string | null
  /**
   * While acquiring: the live peer known to hold these addresses too. Known when the acquire started
   * (a claim forced past claimTimeout), or heard while it ran: the checklist was then asked to stop
   * short (no add if it had not been made, no waiting on announcements if it had), so that two
   * holders, if there are two, are settled within milliseconds rather than after the checklist.
   */
  readonly heldElsewhereBy: string | null
  /**
   * While releasing: the release is for addresses whose kernel lifetime ran out (see expiry.ts). It
   * removes first and, whatever its hooks say, ends with the resource no longer held: the addresses
   * are gone.
   */
  readonly expired: boolean
  /** No live node is fit for these addresses and this node said so (no-node-fit); cleared when one is. */
  readonly noFitReported: boolean
  /**
   * Own addresses this node, unfit, left to a fit peer (released them to it, or did not claim them
   * while it was fit), which takes them when it hears they are let go; `at`: when this node last
   * said it was unfit. See handOverUnanswered in fitness.ts. It runs out by time: a holder heard
   * may be old news, sent before the peer heard this node was unfit. Null once this node claims them.
   */
  readonly handedTo: { readonly peer: string; readonly at: number } | null
  /**
   * Acquired from a live owner that said it was unfit: given back no sooner than deadAfter after
   * the owner says it is fit again, when the owner's own wait (handedTo) has run out.
   */
  readonly fromUnfitOwner: boolean
  /**
   * Who takes these addresses over, first to last, after the owner (issue 20; see order.ts). For a
   * peer's addresses, the configured order (this node alone in a pair); for this node's own, the
   * configured order, or null when the config does not say (then it is not compared with peers').
   */
  readonly takers: readonly string[] | null
  /**
   * A peer's addresses this node tried to take and could not (Test said "notification only", a strict
   * hook or the add failed, arbitration refused): with an order, it says it is unfit for them until it
   * takes them or the owner's liveness changes, so the next taker goes on and nobody hands them back
   * to this node only to see it refuse again.
   */
  readonly acquireRefused: boolean
  /**
   * A peer's addresses: Test refused to give them back to their owner, heard live, since the owner
   * was last heard again. The first refusal is asked again once, halfway through claimTimeout, so
   * a refusal that has passed ends before the owner forces its claim; a second waits for the owner's
   * liveness to change, or for its forced claim (see blockAfter in transition.ts).
   */
  readonly giveBackRefused: boolean
  /**
   * A peer's addresses: whether this node last said (in its heartbeats' fit list) that it is fit for
   * them, and since when. A taker that has just become fit waits deadAfter before it takes them over
   * while takers behind it may still act on its old "unfit" (they would take them at the same time).
   */
  readonly saidFit: boolean
  readonly saidFitAt: number
}

export interface Timing {
  readonly intervalMs: number
  readonly deadAfterMs: number
  /**
   * After a carrier comes back, how long to wait to hear every peer before claiming addresses on that
   * interface anyway (the peer is then taken for gone). Never less than deadAfterMs.
   */
  readonly carrierSettleMs: number
  readonly failback: {
    readonly policy: 'auto' | 'manual' | 'stable'
    readonly stableForMs: number
    readonly claimTimeoutMs: number
  }
  readonly announce: { readonly count: number; readonly intervalMs: number }
  /** How long to wait before retrying a checklist that failed. */
  readonly retryAfterMs: number
  /** Check that an address is really free (ARP/ND probe, witness) before an automatic takeover. */
  readonly arbitrate: boolean
  /** When no live node is fit for a resource: keep it where it is, or let it go (an unfit node claims nothing either way). */
  readonly onAllUnfit: 'keep' | 'release'
  /**
   * Quorum (config `coordination`): a key in the store decides who holds each resource; when the
   * lease is not known valid, held addresses are released (`release`) or kept (`keep`). Null: none.
   */
  readonly quorum?: { readonly onLoss: 'release' | 'keep' } | null
}

/** The carrier of an interface this node has addresses on, as last reported (absent: never reported, up). */
export interface CarrierView {
  readonly up: boolean
  /** Monotonic time of the last change. */
  readonly since: number
}

export interface EngineState {
  readonly self: string
  readonly timing: Timing
  readonly startedAt: number
  /**
   * Silence is counted from here at the earliest: the start, or the moment the agent noticed it had
   * been paused (SIGSTOP, a frozen VM). Peers are not judged on silence this node did not witness.
   */
  readonly judgeFrom: number
  /**
   * Until then (monotonic ms), a link that was up stays up though its peer's silence passed
   * deadAfter: this node itself just stalled (its timers ran late), and a peer stalled with it (the
   * same frozen VM or busy host) may not have been heard only because it resumed a moment later.
   * Two heartbeat intervals after the stall, at most deadAfter; -Infinity when none.
   */
  readonly stallGraceUntil: number
  /** The heartbeat sockets are open: before that, peers' silence proves nothing and nothing is judged. */
  readonly listening: boolean
  readonly phase: 'starting' | 'running' | 'stopping' | 'stopped'
  readonly releaseOnStop: boolean
  readonly maintenance: boolean
  readonly linkNames: readonly string[]
  readonly peers: Readonly<Record<string, PeerView>>
  readonly resources: Readonly<Record<string, Resource>>
  /** Interfaces whose carrier was reported, by name. */
  readonly carrier: Readonly<Record<string, CarrierView>>
  /** This node's failing health checks, by address: the checks the address requires that fail now. */
  readonly failing: Readonly<Record<string, readonly string[]>>
  /**
   * Heartbeats always carry the fit list (version 2): the config has checks, or a peer speaks of
   * fitness. Never turns off. Without it, only while something is unfit (see fitness.ts).
   */
  readonly fitnessOnWire: boolean
  /**
   * Heartbeats carry this node's orders and the peers it hears (version 3): an order has two or more
   * takers or this node's own is configured, or a peer speaks version 3. Never turns off.
   */
  readonly orderOnWire: boolean
  /**
   * Quorum (timing.quorum): whether this node's lease is known valid now. Starts false: nothing is
   * acquired before the first lease. Always true without a quorum store.
   */
  readonly quorum: boolean
  /** Order disagreements reported (order-mismatch), by `${peer} ${owner}`: the text said. */
  readonly mismatches: Readonly<Record<string, string>>
  readonly nextChecklistId: number
}
