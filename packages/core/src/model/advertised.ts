/** What a node says about itself in every heartbeat: its state and the addresses it holds, with how. */

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
