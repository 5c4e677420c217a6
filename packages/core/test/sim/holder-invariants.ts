import type { Bounds } from './bounds.js'
import type { Conditions } from './conditions.js'
import type { InterfaceTable } from './interface-table.js'
import type { Network } from './network.js'
import type { SimNode } from './sim-node.js'
import type { Violation } from './violation.js'

/**
 * The two address invariants, judged on the interface tables at every simulated instant. With three
 * nodes or more each owner's addresses have an order (the owner, then its takers) and nodes hear of
 * each other through a third (state-machine/relay.ts); with two, the rules below are the pair's.
 *
 * `two-holders`: two nodes never hold one address while they are connected, once `graceMs` has
 * passed since they became connected or since an operator's accepted `ipfo takeover`, unless one of
 * them is obstructed (its Test refuses, a strict hook or an add fails, its arbiter is forced: the
 * documented ways to keep both), or its release was refused and the engine has not retried it yet.
 * Connected: both running, each hearing the other on a healthy link; or, with three nodes or more,
 * both connected so to one third node (a relay: each hears what the other holds in the relay's
 * heartbeats), with `relayMs` more grace (the relay's next heartbeat, one more link).
 *
 * `unheld`: an address is never unheld for longer than `unheldMs` while a node that may hold it
 * could. Fit: running, eth0 with carrier (settled), not in maintenance, not obstructed, not blocked
 * by a refusal it reported, and with health checks its service answering (settled: `fitSettleMs`).
 * Could hold it: the owner (unless released by hand); or a taker (in a pair, the watcher) that hears
 * nothing of any node ahead of it in the order, the owner first: neither directly nor through a
 * third node that hears it (`Conditions.unheardSince`). By the one rule such a taker sees every node
 * ahead lost, so it is first among the live nodes it knows of; a node ahead it still hears of (even
 * one cut off from the owner, which it cannot tell from one that still hears the owner) keeps it
 * waiting, and is judged on its own. In a pair this is the watcher that hears nothing from the owner.
 * The bound counts from the latest of: the address going unheld, the node becoming fit, the last
 * node ahead falling silent to it, any node that may hold it coming up or resuming, and the last
 * late packet (a delay fault) reaching the node.
 *
 * Together they give "exactly one holder within the bound once connectivity returns": never two
 * after the grace, never none for longer than the hand-over of a failback.
 */
export class HolderInvariants {
  private readonly unheldSince = new Map<string, number>()
  /** The earliest future moment a condition seen now turns into a violation if nothing changes. */
  nextDue: number | undefined

  constructor(
    private readonly sim: {
      readonly table: InterfaceTable
      readonly network: Network
      readonly nodes: readonly SimNode[]
      readonly conditions: Conditions
      readonly bounds: Bounds
      readonly addresses: readonly { address: string; owner: string; mayHold: readonly string[] }[]
      /** The scenario has health checks: only a node whose service answers is fit. */
      readonly checked: boolean
    },
  ) {
    for (const a of sim.addresses) this.unheldSince.set(a.address, 0)
  }

  /** Called on every change of the interface tables. */
  tableChanged(address: string, now: number): void {
    const held = this.sim.table.holders(address).length > 0
    if (held) this.unheldSince.delete(address)
    else if (!this.unheldSince.has(address)) this.unheldSince.set(address, now)
  }

  check(now: number): Violation | undefined {
    this.nextDue = undefined
    for (const a of this.sim.addresses) {
      const holders = this.sim.table.holders(a.address)
      const v = holders.length >= 2 ? this.twoHolders(a, holders, now) : this.unheld(a, now)
      if (v) return v
    }
    return undefined
  }

  private due(at: number): void {
    if (this.nextDue === undefined || at < this.nextDue) this.nextDue = at
  }

  private twoHolders(
    { address, owner }: { address: string; owner: string },
    holders: string[],
    now: number,
  ): Violation | undefined {
    const { conditions, bounds } = this.sim
    // A holder whose release was refused (Test, a strict PreRel) keeps it until the engine retries.
    const releaseBlocked = (id: string) => conditions.blockedUntil(id, 'release', owner) + bounds.graceMs
    for (let i = 0; i < holders.length; i++)
      for (let j = i + 1; j < holders.length; j++) {
        const x = holders[i]!
        const y = holders[j]!
        const direct = conditions.connectedSince(x, y)
        const relayed = conditions.relayedSince(x, y)
        if (direct === null && relayed === null) continue
        // Heard through a relay: its next heartbeat says so, and crosses one more link.
        const connected = Math.min(
          direct ?? Number.POSITIVE_INFINITY,
          relayed === null ? Number.POSITIVE_INFINITY : relayed + bounds.relayMs,
        )
        // Late packets (a delay fault just lifted) still arriving are old news acted on: wait for them
        // (on the links to and from either, a relay's included).
        const late = Math.max(
          ...this.sim.nodes.flatMap((z) =>
            [x, y].flatMap((n) => [
              this.sim.network.lateArrival(n, z.id),
              this.sim.network.lateArrival(z.id, n),
            ]),
          ),
        )
        const since = Math.max(connected, conditions.lastTakeoverAt, late)
        const excusedUntil = Math.max(
          conditions.of(x).obstructedUntil,
          conditions.of(y).obstructedUntil,
          releaseBlocked(x),
          releaseBlocked(y),
        )
        const deadline = Math.max(since + bounds.graceMs, excusedUntil)
        if (now > deadline)
          return {
            invariant: 'two-holders',
            at: now,
            message: `${address} held by ${x} and ${y}, connected ${direct !== null && direct <= connected ? `since ${fmt(direct)}` : `through a relay since ${fmt(relayed ?? 0)}`} (grace ${fmt(bounds.graceMs)} ms${direct !== null && direct <= connected ? '' : ` + ${fmt(bounds.relayMs)} ms`})`,
          }
        if (Number.isFinite(deadline)) this.due(deadline)
      }
    return undefined
  }

  private unheld(
    a: { address: string; owner: string; mayHold: readonly string[] },
    now: number,
  ): Violation | undefined {
    const since = this.unheldSince.get(a.address)
    if (since === undefined) return undefined
    // A node that may hold it came up or resumed: its view (a claim it had started, frozen) counts anew.
    // So does a false detection (loss made a node take a live peer for dead): a new contest begins,
    // and sustained loss that keeps making them has no bound (see concepts/simulation.md).
    let restarted = this.sim.conditions.lastFalseDetectionAt
    for (const id of a.mayHold)
      restarted = Math.max(restarted, this.sim.conditions.of(id).upSince ?? restarted)
    for (const id of a.mayHold) {
      const fit = this.capableSince(id, a)
      if (fit === null) continue
      const deadline = Math.max(since, fit, restarted) + this.sim.bounds.unheldMs
      if (now > deadline)
        return {
          invariant: 'unheld',
          at: now,
          message: `${a.address} unheld since ${fmt(since)} while ${id} could hold it since ${fmt(fit)} (bound ${fmt(this.sim.bounds.unheldMs)} ms)`,
        }
      if (Number.isFinite(deadline)) this.due(deadline)
    }
    return undefined
  }

  /** Since when `id` has been fit to hold `owner`'s addresses and expected to; null if it is not. */
  private capableSince(id: string, a: { owner: string; mayHold: readonly string[] }): number | null {
    const { owner } = a
    const { conditions, bounds } = this.sim
    const node = this.sim.nodes.find((n) => n.id === id)!
    const c = conditions.of(id)
    if (c.upSince === null || c.carrierUpSince === null || node.maintenance) return null
    let since = Math.max(
      c.upSince,
      c.carrierUpSince + bounds.carrierSettleMs,
      c.operatorChangedAt,
      c.obstructedUntil,
      conditions.blockedUntil(id, 'acquire', owner),
      ...this.sim.nodes.map((n) => this.sim.network.lateArrival(n.id, id)),
    )
    if (this.sim.checked) {
      // Fit by its checks too: its service answers, for as long as its verdict may take to say so.
      const healthy = node.service.healthySince
      if (healthy === null) return null
      since = Math.max(since, Math.max(c.upSince, healthy) + bounds.fitSettleMs)
    }
    if (id === owner) {
      if (node.heldBack) return null
    } else {
      // Every node ahead of it in the order, the owner first, silent to it (directly and through others).
      const ahead = [owner, ...a.mayHold.filter((x) => x !== owner)]
      for (const w of ahead.slice(0, ahead.indexOf(id))) {
        const silent = conditions.unheardSince(w, id)
        if (silent === null) return null
        since = Math.max(since, silent)
      }
    }
    return Number.isFinite(since) ? since : null
  }
}

function fmt(ms: number): string {
  return ms.toFixed(1)
}
