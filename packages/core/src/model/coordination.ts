/**
 * Quorum (issue 21): a store every node can reach (etcd) says who holds each group of addresses. A
 * node holds a group only while it holds the group's key, bound to a lease the node keeps renewing;
 * the key goes when the lease does. Heartbeats still say who is alive; this says who may hold.
 *
 * Times are on the coordinator's clock: the agent's monotonic `Clock.now()` (performance.now()),
 * never the wall clock, so that NTP steps cannot stretch a lease.
 */

/** What keeping the lease brings, as it happens, in order. After `stop` only a revoke that failed. */
export type CoordinatorReport =
  /** A new lease, at start and after one was lost: keys held under an earlier lease are gone. */
  | {
      readonly kind: 'lease-granted'
      readonly leaseId: string
      /** The lease is valid until then: claims made under it hold until then at least. */
      readonly validUntil: number
      /** The TTL the server gave, in ms (it may raise a short one to its own least). */
      readonly ttlMs: number
      readonly endpoint: string
    }
  /**
   * A renewal was answered. `validUntil` is when the renewal was sent plus the TTL minus the margin:
   * the server cannot have expired the lease before then, whatever the answer's delay.
   */
  | {
      readonly kind: 'lease-renewed'
      readonly leaseId: string
      readonly validUntil: number
      /** The TTL the server restarted the lease with, in ms, when it said. */
      readonly ttlLeft?: number
      readonly endpoint: string
    }
  /**
   * The server says the lease is gone (expired, revoked, not found): every key bound to it is deleted.
   * The coordinator asks for a new lease at once and reports it as `lease-granted`.
   */
  | { readonly kind: 'lease-lost'; readonly leaseId: string; readonly reason: string }
  /**
   * A renewal (or a new lease) failed without an answer from a majority: timeouts, refused
   * connections, no leader. The lease stays valid until the last `validUntil`; nothing is known after.
   */
  | {
      readonly kind: 'unreachable'
      /** The endpoint that failed last, when one did. */
      readonly endpoint?: string
      /** What failed at each endpoint tried, and what to check. */
      readonly message: string
    }
  /**
   * A key bound to this node's lease that the node does not hold was deleted: a claim carried out
   * late by a member that was frozen or cut off (answered meanwhile by another, or timed out).
   */
  | { readonly kind: 'stale-key-deleted'; readonly group: string; readonly revision: string }
  /**
   * etcd refused to watch a group's key (permission, authentication): the watch hears nothing until
   * the administrator fixes it, and is tried again every few seconds. Said once per run of refusals.
   */
  | {
      readonly kind: 'watch-failed'
      readonly group: string
      /** What etcd said, and what to fix. */
      readonly message: string
    }

export type ClaimResult =
  /** This node holds the group; `revision` (the key's mod revision) is the fencing token. */
  | { readonly won: true; readonly revision: string }
  /** Another node holds it: `holder` is the value it claimed with. */
  | { readonly won: false; readonly holder: string; readonly revision: string }

/** A change of a group's key, as a watch sees it. Revisions are decimal strings (etcd's int64). */
export type HolderChange =
  | { readonly kind: 'put'; readonly holder: string; readonly revision: string }
  /** Deleted: released, revoked with its lease, or expired with it. The group is free to claim. */
  | { readonly kind: 'delete'; readonly revision: string }

export interface CoordinatorStatus {
  readonly endpoints: readonly string[]
  /** The endpoint that answered last, if any did. */
  readonly lastAnswered: string | undefined
  /** The current lease, if there is one. */
  readonly leaseId: string | undefined
  /** How long the lease is still known valid, in ms (0: not known valid now). */
  readonly validForMs: number
  /** The groups this node holds under its current lease, with their fencing tokens. */
  readonly held: readonly { readonly group: string; readonly revision: string }[]
}

/**
 * Who may hold each group of addresses, decided by a store with its own quorum. A node adds a
 * group's addresses only after `claim` won and removes them before `validUntil` runs out unless a
 * renewal moved it on; a taker watches a held group and claims it when its key goes.
 */
export interface Coordinator {
  /**
   * Loads what `start` needs and would block the event loop loading (etcd3 parses its protocol
   * files synchronously, 100 to 300 ms): call it before heartbeats start. `start` loads it too.
   */
  prepare(): Promise<void>
  /**
   * Connects and takes a lease for this node; then keeps it on its own, reporting through
   * `onReport`. Rejects (a CoordinationError naming each endpoint and what to fix) when no endpoint
   * grants one; nothing keeps running then. `onReport` may claim at once (from `lease-granted`).
   * Should it (or a watch's `onChange`) throw, the coordinator goes on: the error is passed to
   * the adapter's handler-error callback.
   */
  start(onReport: (report: CoordinatorReport) => void): Promise<void>
  /**
   * In one transaction: takes the group's key for this node's lease when nobody holds it, else
   * reads who does. A key already bound to this node's lease is a win (a retried claim). A key
   * holding `value` under another lease is an earlier run's of this node (killed, and started again
   * before that lease expired): that lease is revoked and the claim made again. Rejects
   * when the lease is not known valid now (none, or `validUntil` passed) or no majority answers.
   */
  claim(group: string, value: string): Promise<ClaimResult>
  /**
   * Deletes the group's key if it is still bound to this node's lease; resolves true if this node's
   * key is gone now because of this call (deleted by whichever member it asked) or was held by this
   * node and already gone, false if the key was not this node's (another's, or never claimed under
   * this lease). Rejects only when no majority answers.
   */
  release(group: string): Promise<boolean>
  /**
   * Calls `onChange` on every change of the group's key from now on (or from just after
   * `afterRevision`, e.g. the revision a lost claim returned, so that nothing in between is missed).
   * Survives endpoints going away. Returns the unsubscribe.
   */
  watch(
    group: string,
    onChange: (change: HolderChange) => void,
    opts?: { afterRevision?: string },
  ): () => void
  /**
   * Stops renewing. With `revoke`, revokes the lease first: every key bound to it goes at once, so
   * the next holder takes over without waiting for the TTL (a clean stop). Closes the connections.
   */
  stop(opts?: { revoke?: boolean }): Promise<void>
  status(): CoordinatorStatus
}

/**
 * What a checklist needs of the quorum store, per resource (the owner's addresses): the engine keeps
 * the lease and the watches (engine/quorum-claims.ts). Never throws: a store that cannot be asked is
 * a lost claim, with the reason.
 */
export interface Claims {
  /** Wins the key of `owner`'s addresses for this node, or says who holds it. */
  claim(
    owner: string,
  ): Promise<
    | { readonly won: true; readonly token: string }
    | { readonly won: false; readonly holder: string | undefined; readonly reason: string }
  >
  /**
   * Whether this node's lease is known valid now and the key of `owner`'s addresses was won under it:
   * an add must not happen otherwise, nor an acquire end with the addresses held.
   */
  holds(owner: string): boolean
  /** The fencing token by which this node holds `owner`'s addresses, if it does. */
  token(owner: string): string | undefined
  /** Deletes the key of `owner`'s addresses if it is this node's; a failure is reported, not thrown. */
  release(owner: string): Promise<void>
}
