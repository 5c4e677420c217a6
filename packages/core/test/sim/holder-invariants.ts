import type { Bounds } from './bounds.js'
import type { Conditions } from './conditions.js'
import type { InterfaceTable } from './interface-table.js'
import type { Network } from './network.js'
import type { SimNode } from './sim-node.js'
import type { Violation } from './violation.js'

/**
 * The two address invariants, judged on the interface tables at every simulated instant:
 *
 * `two-holders`: two nodes never hold one address while they are connected (both running, each
 * hearing the other on a healthy link), once `graceMs` has passed since they became connected or
 * since an operator's accepted `ipfo takeover`, unless one of them is obstructed (its Test refuses,
 * a strict hook or an add fails, its arbiter is forced: the documented ways to keep both), or its
 * release was refused and the engine has not retried it yet.
 *
 * `unheld`: an address is never unheld for longer than `unheldMs` while a fit node could hold it.
 * Fit: running, eth0 with carrier (settled), not in maintenance, not obstructed, not blocked by a
 * refusal it reported, and with health checks its service answering (settled: `fitSettleMs`). Could hold it: the owner (unless released by hand), or a node that watches
 * the owner and hears nothing from it on any link. The bound counts from the latest of: the
 * address going unheld, the node becoming fit, any node that may hold it coming up or resuming,
 * and the last late packet (a delay fault) reaching the node.
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
        const connected = conditions.connectedSince(x, y)
        if (connected === null) continue
        // Late packets (a delay fault just lifted) still arriving are old news acted on: wait for them.
        const late = Math.max(this.sim.network.lateArrival(x, y), this.sim.network.lateArrival(y, x))
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
            message: `${address} held by ${x} and ${y}, connected since ${fmt(connected)} (grace ${fmt(bounds.graceMs)} ms)`,
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
      const fit = this.capableSince(id, a.owner)
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
  private capableSince(id: string, owner: string): number | null {
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
      const silent = conditions.silentSince(owner, id)
      if (silent === null) return null
      since = Math.max(since, silent)
    }
    return Number.isFinite(since) ? since : null
  }
}

function fmt(ms: number): string {
  return ms.toFixed(1)
}
