/** What a node says about itself in every heartbeat: its state and the addresses it holds, with how. */

/** The state of a node as it advertises it in heartbeats. */
export type NodeStateCode = 'starting' | 'healthy' | 'maintenance' | 'stopping'

/**
 * How a holder describes an address it holds, so the owner knows whether to wait: `held` (no give-back
 * under way: the owner's claim clock runs), `releasing` (a release runs), `returning` (a failback is
 * due, by policy auto or stable, and will start on its own), `kept` (it will not give it back on its
 * own: manual policy, operator takeover, maintenance).
 */
export type HoldStatus = 'held' | 'releasing' | 'kept' | 'returning'

export interface AdvertisedAddress {
  readonly ip: string
  readonly prefix: number
  readonly family: 4 | 6
  readonly status: HoldStatus
}
