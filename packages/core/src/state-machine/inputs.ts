import type { AdvertisedAddress, HeardPeer, NodeStateCode, OrderView } from '../model/advertised.js'
import type { ChecklistOutcome } from '../model/events.js'

/** What a heartbeat says, once it is known to be authentic and fresh. */
export interface HeartbeatInput {
  readonly peer: string
  readonly link: string
  readonly incarnation: number
  readonly restarted: boolean
  /** The sender's clock when it sent this (the same for every link of one round). */
  readonly sentAt: number
  readonly state: NodeStateCode
  readonly held: readonly AdvertisedAddress[]
  /** The addresses the sender could serve and is fit for; null: it said nothing (version 1). */
  readonly fit: readonly string[] | null
  /** The sender's view of the orders it knows (version 3); absent or null: it said nothing. */
  readonly orders?: readonly OrderView[] | null
  /** The peers the sender hears directly, with what they last said (version 3). */
  readonly heard?: readonly HeardPeer[] | null
}

/** What happens to the machine. Time comes with every input as `now` (monotonic ms). */
export type Input =
  /** A timer fired; re-evaluate deadlines. */
  | { readonly kind: 'tick' }
  /** A valid, authenticated, fresh heartbeat. */
  | ({ readonly kind: 'heartbeat' } & HeartbeatInput)
  /**
   * Heartbeats that arrived together (queued in the sockets while the process was busy), taken in
   * order and judged once: the newest word of each peer decides, not the oldest.
   */
  | { readonly kind: 'heartbeats'; readonly beats: readonly HeartbeatInput[] }
  /** Which resources' addresses were found on the interfaces at start (after a crash, say). */
  | { readonly kind: 'reconciled'; readonly held: readonly string[] }
  | {
      readonly kind: 'checklist-finished'
      readonly id: number
      readonly owner: string
      readonly outcome: ChecklistOutcome
    }
  | { readonly kind: 'takeover'; readonly owner: string }
  | { readonly kind: 'release'; readonly owner: string }
  | { readonly kind: 'maintenance'; readonly on: boolean }
  /** The heartbeat sockets are open: silence counts from now. */
  | { readonly kind: 'listening' }
  /** An interface's carrier went down or came back (a cable, a switch port). */
  | { readonly kind: 'carrier'; readonly interface: string; readonly up: boolean }
  /**
   * The agent noticed it had been paused (its timers ran `pausedMs` late); `expired`: the owners of
   * held addresses whose kernel lifetime ran out meanwhile (see engine/address-lifetimes.ts).
   */
  | { readonly kind: 'resumed'; readonly pausedMs: number; readonly expired?: readonly string[] }
  /**
   * The agent's own timers ran `stalledMs` late, less than a pause (a busy or briefly frozen machine):
   * peers' links keep their verdict for a grace (EngineState.stallGraceUntil).
   */
  | { readonly kind: 'stalled'; readonly stalledMs: number }
  /** The kernel ended the lifetime of the resource's held addresses: they are gone from the interface. */
  | { readonly kind: 'expired'; readonly owner: string }
  /**
   * This node's health checks changed verdict: for each address, the checks it requires that fail
   * now (addresses with none are left out).
   */
  | { readonly kind: 'fitness'; readonly failing: Readonly<Record<string, readonly string[]>> }
  /**
   * Quorum (coordination): whether this node's lease is known valid now. Lost (the lease ran past
   * its last known validity, or the store said it is gone): held addresses are released at once
   * (`onQuorumLoss: release`) and nothing is acquired until it is valid again.
   */
  | { readonly kind: 'quorum'; readonly valid: boolean; readonly reason: string }
  /** Quorum: the key of `owner`'s addresses, which another node held when this one lost a claim, is gone. */
  | { readonly kind: 'claim-freed'; readonly owner: string }
  /**
   * Quorum: the key of `owner`'s addresses, held here, is another node's (`holder`): this node kept
   * them through a lease it lost (`onQuorumLoss: keep`), and the key went with that lease.
   */
  | { readonly kind: 'key-lost'; readonly owner: string; readonly holder: string }
  /** Stop: release held addresses (running the release checklist) or keep them in place. */
  | { readonly kind: 'stop'; readonly release: boolean }

/** How a checklist ended (see model/events.ts). */
export type { ChecklistOutcome }
