import type { EventBody } from '../model/events.js'
import type { HookAction, HookPhase } from '../model/hook-contract.js'
import type { InterfaceAddress } from '../model/ip.js'

export type { EventBody }

/** One step of a failover checklist, executed in order by the executor. */
export type Step =
  /** Arbitration: refuse an automatic takeover while the address still answers. */
  | { readonly step: 'arbitrate' }
  | { readonly step: 'gate' }
  | { readonly step: 'phase'; readonly phase: HookPhase }
  | { readonly step: 'add' }
  | { readonly step: 'announce'; readonly count: number; readonly intervalMs: number }
  | { readonly step: 'remove' }
  | { readonly step: 'notify' }

export interface Checklist {
  readonly id: number
  readonly action: HookAction
  readonly owner: string
  /** The peer whose loss or return caused this checklist, if any. */
  readonly peer: string | undefined
  readonly addresses: readonly InterfaceAddress[]
  readonly reason: string
  readonly detectionMs: number | undefined
  readonly steps: readonly Step[]
}

/** What the machine asks the world to do. Data only; the executor performs it. */
export type Effect =
  | { readonly kind: 'emit'; readonly event: EventBody }
  | { readonly kind: 'run-checklist'; readonly checklist: Checklist }
  /**
   * The running acquire of `owner`'s addresses stops short: a live peer holds them. Before its add it
   * changes nothing (outcome `yielded`); after, it stops announcing and waiting on announcements, so
   * the machine can settle the two holders at once.
   */
  | { readonly kind: 'yield-checklist'; readonly owner: string }
  /** Send a heartbeat now, out of schedule, so peers learn of a change at once. */
  | { readonly kind: 'send-heartbeat' }
  /** Announce held addresses again (after a conflict ended), outside any checklist. */
  | {
      readonly kind: 'announce'
      readonly owner: string
      readonly addresses: readonly InterfaceAddress[]
      readonly count: number
      readonly intervalMs: number
    }
  /** Every held address has been dealt with; the agent may exit. */
  | { readonly kind: 'stopped' }

/** Takeover, as a checklist: (arbitrate,) gate, PreAcq, add, announce, PostAcq, notify. */
export function acquireSteps(announce: { count: number; intervalMs: number }, arbitrate = false): Step[] {
  return [
    ...(arbitrate ? [{ step: 'arbitrate' } as const] : []),
    { step: 'gate' },
    { step: 'phase', phase: 'PreAcq' },
    { step: 'add' },
    { step: 'announce', count: announce.count, intervalMs: announce.intervalMs },
    { step: 'phase', phase: 'PostAcq' },
    { step: 'notify' },
  ]
}

/** Release mirrors it: gate, PreRel, remove, PostRel, notify. */
/**
 * The release of addresses whose lifetime ran out: the remove first (the kernel has dropped them, or
 * is about to; a remove makes sure, before any hook runs), no Test gate (there is nothing to decide),
 * then the hooks, so that what PostAcq set up is undone.
 */
export function expiredReleaseSteps(): Step[] {
  return [
    { step: 'remove' },
    { step: 'phase', phase: 'PreRel' },
    { step: 'phase', phase: 'PostRel' },
    { step: 'notify' },
  ]
}

export function releaseSteps(): Step[] {
  return [
    { step: 'gate' },
    { step: 'phase', phase: 'PreRel' },
    { step: 'remove' },
    { step: 'phase', phase: 'PostRel' },
    { step: 'notify' },
  ]
}
