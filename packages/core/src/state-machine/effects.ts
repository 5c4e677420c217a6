import type { AcquireCause, EventBody } from '../model/events.js'
import type { HookAction, HookPhase } from '../model/hook-contract.js'
import type { InterfaceAddress } from '../model/ip.js'

export type { EventBody }

/** One step of a failover checklist, executed in order by the executor. */
export type Step =
  /** Arbitration: refuse an automatic takeover while the address still answers. */
  | { readonly step: 'arbitrate' }
  /**
   * Quorum (coordination): win the addresses' key in the store before anything else; lost, the
   * acquire ends with nothing changed (`claim-lost`). Its revision is the hooks' fencing token.
   */
  | { readonly step: 'claim' }
  /** Quorum: delete the addresses' key (right after their remove), so the next holder may win it. */
  | { readonly step: 'disclaim' }
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
  /** Why an acquire started (the `acquiring` event's cause); null for a release, or an acquire finished after a restart. */
  readonly cause: AcquireCause | null
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

/**
 * A checklist's steps when a quorum store decides who holds (config `coordination`): an acquire
 * claims the key first, and no longer probes the address (a key won proves the last holder's lease
 * ended, and with it that holder's addresses, which it removes before its lease can end); a release
 * deletes the key as soon as the addresses are gone.
 */
export function coordinated(steps: readonly Step[], action: HookAction): Step[] {
  if (action === 'acquire') return [{ step: 'claim' }, ...steps.filter((s) => s.step !== 'arbitrate')]
  const out: Step[] = []
  for (const s of steps) out.push(...(s.step === 'remove' ? [s, { step: 'disclaim' } as const] : [s]))
  return out
}
