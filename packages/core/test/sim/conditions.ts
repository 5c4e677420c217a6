import type { Bounds } from './bounds.js'
import type { Network } from './network.js'
import type { Scheduler } from './scheduler.js'
import type { SimNode } from './sim-node.js'

interface NodeConditions {
  /** Running (up or stopping) and not paused, since; null while not. */
  upSince: number | null
  carrierUpSince: number | null
  /** Last change of what the operator set (maintenance, a hand release of its own addresses). */
  operatorChangedAt: number
  /** Obstructing faults on now (hooks that fail or refuse, adds that fail, a forced arbiter). */
  obstructions: number
  /** Excused until then: an obstruction lifted less than `obstructionMs` ago (+Infinity while on). */
  obstructedUntil: number
  /**
   * Per `acquire:<owner>` and `release:<owner>`: the node said why it will not act (Test, a strict
   * hook, arbitration, a failed add), and is excused until then (+Infinity: until it sees the
   * owner's liveness change, the engine's rule after Test says no to a peer's addresses).
   */
  blockedUntil: Map<string, number>
  /** Keys of `blockedUntil` that also end when the node sees the owner's liveness change. */
  untilChange: Set<string>
}

/**
 * When each condition the invariants depend on last became true: nodes up, carriers, two nodes
 * connected (both up, and on some link each hears the other with the healthy delay), a node
 * hearing nothing at all from another. Recomputed after every event, from the world, never from
 * what the engines believe.
 */
export class Conditions {
  private readonly nodes = new Map<string, NodeConditions>()
  private readonly connected = new Map<string, number | null>()
  /** Per pair, since when some third node up has been connected to both (a relay; see `relayedSince`). */
  private readonly relayed = new Map<string, number | null>()
  private readonly silent = new Map<string, number | null>()
  /** The last accepted `ipfo takeover`: a moment of two holders after it is the operator's doing. */
  lastTakeoverAt = Number.NEGATIVE_INFINITY
  /**
   * The last false detection: a node declared a peer lost while that peer was up and some of its
   * packets could still reach the node (loss or delay, not a cut). Each starts a new contest for the
   * peer's addresses, so the `unheld` bound counts from the latest one.
   */
  lastFalseDetectionAt = Number.NEGATIVE_INFINITY
  /** Something they depend on may have changed since the last refresh (a fault, an agent's state). */
  private stale = true
  /** The last change of the world: a fault started or lifted, an agent came or went, an operator acted. */
  changedAt = 0

  constructor(
    private readonly sim: {
      readonly scheduler: Scheduler
      readonly network: Network
      readonly nodes: readonly SimNode[]
      readonly bounds: Bounds
      carrierUp(node: string): boolean
    },
  ) {}

  of(node: string): NodeConditions {
    let c = this.nodes.get(node)
    if (!c) {
      c = {
        upSince: null,
        carrierUpSince: 0,
        operatorChangedAt: 0,
        obstructions: 0,
        obstructedUntil: Number.NEGATIVE_INFINITY,
        blockedUntil: new Map(),
        untilChange: new Set(),
      }
      this.nodes.set(node, c)
    }
    return c
  }

  isUp(node: SimNode): boolean {
    return (node.state === 'up' || node.state === 'stopping') && !this.sim.scheduler.isPaused(node.id)
  }

  /** Marks that a fault, an agent's state or an operator command may have changed a condition. */
  invalidate(): void {
    this.stale = true
    this.changedAt = this.sim.scheduler.now
  }

  /** Recomputes what may have changed; true if anything was looked at again. */
  refresh(): boolean {
    if (!this.stale) return false
    this.stale = false
    const now = this.sim.scheduler.now
    const { nodes } = this.sim
    for (const n of nodes) {
      const c = this.of(n.id)
      c.upSince = this.isUp(n) ? (c.upSince ?? now) : null
      c.carrierUpSince = this.sim.carrierUp(n.id) ? (c.carrierUpSince ?? now) : null
    }
    for (const a of nodes)
      for (const b of nodes) {
        if (a === b) continue
        if (a.id < b.id) {
          const both = this.isUp(a) && this.isUp(b) && this.hears(a.id, b.id) && this.hears(b.id, a.id)
          const key = `${a.id}|${b.id}`
          this.connected.set(key, both ? (this.connected.get(key) ?? now) : null)
        }
        // b hears nothing from a: a is down or paused, or every link from a to b is blocked.
        const quiet =
          !this.isUp(a) || this.sim.network.links.every((l) => this.sim.network.blocked(a.id, b.id, l))
        const key = `${a.id}>${b.id}`
        this.silent.set(key, quiet ? (this.silent.get(key) ?? now) : null)
      }
    // Through a relay: connected to a third node that is connected to the other (three nodes or more).
    for (const a of nodes)
      for (const b of nodes) {
        if (a.id >= b.id) continue
        let since: number | null = null
        for (const z of nodes) {
          if (z === a || z === b) continue
          const az = this.connectedSince(a.id, z.id)
          const zb = this.connectedSince(z.id, b.id)
          if (az === null || zb === null) continue
          const both = Math.max(az, zb)
          if (since === null || both < since) since = both
        }
        this.relayed.set(`${a.id}|${b.id}`, since)
      }
    return true
  }

  private hears(from: string, to: string): boolean {
    return this.sim.network.links.some((l) => this.sim.network.clean(from, to, l))
  }

  connectedSince(a: string, b: string): number | null {
    return this.connected.get(a < b ? `${a}|${b}` : `${b}|${a}`) ?? null
  }

  /**
   * Since when `a` and `b` have been connected through a relay: both connected to one node up that
   * hears each (its heartbeats say what each says, relay.ts); the earliest such node counts. Null
   * while none is.
   */
  relayedSince(a: string, b: string): number | null {
    return this.relayed.get(a < b ? `${a}|${b}` : `${b}|${a}`) ?? null
  }

  /**
   * Since when `to` has heard nothing of `from`, neither directly nor through a third node (a node
   * that hears `from` and is heard by `to` reports it alive, relay.ts); null while it may. With two
   * nodes, `silentSince`.
   */
  unheardSince(from: string, to: string): number | null {
    let since = this.silentSince(from, to)
    if (since === null) return null
    for (const z of this.sim.nodes) {
      if (z.id === from || z.id === to) continue
      const first = this.silentSince(from, z.id)
      const second = this.silentSince(z.id, to)
      if (first === null && second === null) return null
      // The path through z closed when its first leg did.
      const closed = Math.min(first ?? Number.POSITIVE_INFINITY, second ?? Number.POSITIVE_INFINITY)
      since = Math.max(since, closed)
    }
    return since
  }

  /** Since when `to` has heard nothing from `from` (the last packet on its way included); null while it may. */
  silentSince(from: string, to: string): number | null {
    const since = this.silent.get(`${from}>${to}`) ?? null
    return since === null ? null : Math.max(since, this.sim.network.lateArrival(from, to))
  }

  obstructed(node: string, now: number): boolean {
    return now < this.of(node).obstructedUntil
  }

  obstruct(node: string, on: boolean): void {
    this.stale = true
    const c = this.of(node)
    c.obstructions += on ? 1 : -1
    c.obstructedUntil =
      c.obstructions > 0 ? Number.POSITIVE_INFINITY : this.sim.scheduler.now + this.sim.bounds.obstructionMs
  }

  block(
    node: string,
    action: 'acquire' | 'release',
    owner: string,
    until: number,
    untilChange = false,
  ): void {
    this.stale = true
    const c = this.of(node)
    const key = `${action}:${owner}`
    c.blockedUntil.set(key, Math.max(c.blockedUntil.get(key) ?? Number.NEGATIVE_INFINITY, until))
    if (untilChange) c.untilChange.add(key)
  }

  blockedUntil(node: string, action: 'acquire' | 'release', owner: string): number {
    return this.of(node).blockedUntil.get(`${action}:${owner}`) ?? Number.NEGATIVE_INFINITY
  }

  /** A liveness change of `owner` as `node` saw it: a block "until the trigger changes" ends. */
  unblockOnChange(node: string, owner: string): void {
    this.stale = true
    const c = this.of(node)
    for (const action of ['acquire', 'release']) {
      const key = `${action}:${owner}`
      if (!c.untilChange.delete(key)) continue
      const until = c.blockedUntil.get(key)
      if (until !== undefined && until > this.sim.scheduler.now)
        c.blockedUntil.set(key, this.sim.scheduler.now)
    }
  }

  /** `node` declared `peer` lost: a false detection if the peer is up and not cut off from it. */
  peerLost(node: string, peer: string): void {
    const p = this.sim.nodes.find((n) => n.id === peer)
    const cut = this.sim.network.links.every((l) => this.sim.network.blocked(peer, node, l))
    if (p && this.isUp(p) && !cut) this.lastFalseDetectionAt = this.sim.scheduler.now
  }

  /** A new agent generation remembers no block and no operator command. */
  restarted(node: string): void {
    this.stale = true
    const c = this.of(node)
    c.blockedUntil.clear()
    c.untilChange.clear()
    c.operatorChangedAt = this.sim.scheduler.now
  }
}
