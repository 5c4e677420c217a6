import type { Bounds } from './bounds.js'
import type { Conditions } from './conditions.js'
import type { InterfaceTable } from './interface-table.js'
import type { Network } from './network.js'
import type { Fault } from './schedule.js'
import type { SimNode } from './sim-node.js'
import type { Violation } from './violation.js'

/** Faults that leave a steady world behind them (a node down or a service dead for good), or none. */
const STEADY: readonly Fault['kind'][] = [
  'crash',
  'crash-in-checklist',
  'stop',
  'service',
  'operator',
  'tamper',
]

export interface FitHolderWorld {
  readonly table: InterfaceTable
  readonly network: Network
  readonly nodes: readonly SimNode[]
  readonly conditions: Conditions
  readonly bounds: Bounds
  readonly faults: readonly Fault[]
  readonly addresses: readonly { address: string; owner: string; mayHold: readonly string[] }[]
  carrierUp(node: string): boolean
}

/**
 * `fit-holder` (scenarios with health checks): once the cluster is healed (no fault in force but a
 * node down or a service dead for good), if a node that may hold an address is fit for it, a fit
 * node holds it within `fitHolderMs`, counted from the latest change of the world. Fit: its agent
 * runs, its carrier has settled, its service has answered for `fitSettleMs`, nothing the operator
 * or a refusal did keeps it. A holder is fit when its service answers and its carrier is up (an agent
 * that crashed with its addresses left still serves them). `unheld` cannot see this: the owner alive
 * but unfit, a fit peer that should take its addresses while they hear each other.
 *
 * Addresses the operator or a refusal pins are not judged: one a node holds by `ipfo takeover`, or
 * released by hand, a node in maintenance, obstructed or whose release was refused.
 */
export class FitHolder {
  private readonly badSince = new Map<string, number>()

  constructor(private readonly sim: FitHolderWorld) {}

  check(now: number): Violation | undefined {
    if (!this.healed(now)) {
      this.badSince.clear()
      return undefined
    }
    for (const a of this.sim.addresses) {
      const fit = a.mayHold.map((id) => this.fitSince(id, a.owner)).filter((t) => t <= now)
      if (this.pinned(a, now) || fit.length === 0 || this.heldByFit(a.address)) {
        this.badSince.delete(a.address)
        continue
      }
      const since = this.badSince.get(a.address) ?? now
      this.badSince.set(a.address, since)
      const { conditions, network, nodes, bounds } = this.sim
      const late = nodes.flatMap((x) => nodes.map((y) => network.lateArrival(x.id, y.id)))
      const from = Math.max(
        since,
        Math.min(...fit),
        conditions.changedAt,
        conditions.lastFalseDetectionAt,
        ...late,
      )
      if (now - from > bounds.fitHolderMs) {
        const holders = this.sim.table.holders(a.address)
        return {
          invariant: 'fit-holder',
          at: now,
          message: `${a.address} ${holders.length > 0 ? `held by unfit ${holders.join(', ')}` : 'unheld'} since ${since.toFixed(1)} while a fit node could hold it since ${Math.min(...fit).toFixed(1)} (bound ${bounds.fitHolderMs.toFixed(1)} ms)`,
        }
      }
    }
    return undefined
  }

  /** No fault in force but the steady ones. */
  private healed(now: number): boolean {
    return this.sim.faults.every(
      (f) =>
        STEADY.includes(f.kind) || now < f.at || ('until' in f && f.until !== undefined && now >= f.until),
    )
  }

  /** Since when `id` is fit and free to hold `owner`'s addresses (+Infinity: not now). */
  private fitSince(id: string, owner: string): number {
    const { conditions, bounds } = this.sim
    const node = this.sim.nodes.find((n) => n.id === id)!
    const c = conditions.of(id)
    const healthy = node.service.healthySince
    if (c.upSince === null || c.carrierUpSince === null || healthy === null) return Number.POSITIVE_INFINITY
    return Math.max(
      Math.max(c.upSince, healthy) + bounds.fitSettleMs,
      c.carrierUpSince + bounds.carrierSettleMs,
      c.operatorChangedAt,
      conditions.blockedUntil(id, 'acquire', owner),
      id === owner ? Number.NEGATIVE_INFINITY : this.ownerGone(owner, id),
    )
  }

  /**
   * Since when a watcher may take the owner's addresses: it hears nothing from the owner, or the
   * owner's service has been down long enough for its verdict to say so (+Infinity: neither).
   */
  private ownerGone(owner: string, id: string): number {
    const silent = this.sim.conditions.silentSince(owner, id)
    const sick = this.sim.nodes.find((n) => n.id === owner)!.service.sickSince
    return Math.min(
      silent ?? Number.POSITIVE_INFINITY,
      sick === null ? Number.POSITIVE_INFINITY : sick + this.sim.bounds.fitSettleMs,
    )
  }

  /** What the operator or a refusal did keeps the address where it is. */
  private pinned(a: { owner: string; mayHold: readonly string[] }, now: number): boolean {
    const { conditions } = this.sim
    return a.mayHold.some((id) => {
      const node = this.sim.nodes.find((n) => n.id === id)!
      return (
        node.maintenance ||
        (id === a.owner && node.heldBack) ||
        node.manualFor.has(a.owner) ||
        conditions.obstructed(id, now) ||
        conditions.blockedUntil(id, 'release', a.owner) > now
      )
    })
  }

  private heldByFit(address: string): boolean {
    return this.sim.table.holders(address).some((id) => {
      const node = this.sim.nodes.find((n) => n.id === id)!
      return node.service.healthySince !== null && this.sim.carrierUp(id)
    })
  }
}
