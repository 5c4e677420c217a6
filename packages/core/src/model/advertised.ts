/**
 * What a node says about itself in every heartbeat: its state and the addresses it holds, with how;
 * from version 3 also its orders and the peers it hears.
 */

/** The state of a node as it advertises it in heartbeats. */
export type NodeStateCode = 'starting' | 'healthy' | 'maintenance' | 'stopping'

/**
 * How a holder describes an address it holds, so the owner knows whether to wait: `held` (no give-back
 * is under way or due: the owner's claim clock runs), `releasing` (a give-back runs, or is due by the
 * failback policy and will start on its own), `kept` (it will not give it back on its own: manual
 * policy, operator takeover, maintenance). The wire codes are 0, 1, 2: every release reads them.
 */
export type HoldStatus = 'held' | 'releasing' | 'kept'

export interface AdvertisedAddress {
  readonly ip: string
  readonly prefix: number
  readonly family: 4 | 6
  readonly status: HoldStatus
}

/** A node's view of who may hold one owner's addresses, in order: the owner first, then its takers. */
export interface OrderView {
  readonly owner: string
  readonly takers: readonly string[]
  readonly addresses: readonly string[]
}

/**
 * A peer the sender hears directly, and what that peer last said (relayed so nodes that cannot hear it
 * directly still know it is alive and what it holds).
 */
export interface HeardPeer {
  readonly node: string
  /** ms since the sender last heard it (capped at 65535). */
  readonly ageMs: number
  readonly incarnation: number
  /** The relayed peer's sentAt of the heartbeat the detail comes from (its own wall clock). */
  readonly sentAt: number
  readonly state: NodeStateCode
  /** Null when left out to keep the packet within MAX_PACKET_BYTES. */
  readonly detail: {
    readonly held: readonly AdvertisedAddress[]
    readonly fit: readonly string[] | null
  } | null
}
