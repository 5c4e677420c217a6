import type { IpfoEvent } from '../../src/model/events.js'
import type { Setup } from './schedule.js'
import type { Violation } from './violation.js'

/**
 * `refusal-pace`: a checklist that changed nothing (Test said "notification only", a strict Pre
 * phase failed, arbitration refused, the address change failed) is not run again for the same
 * node, owner and action before its retry time, unless the owner's liveness changed there since
 * it started or the agent restarted, or something other than the evaluation asked for it (ASKED).
 * One exception: a release asked again at once, once, when the owner forced its claim. The engine's
 * shortest retry is retryAfter (max(5 s, deadAfter)), or half of claimTimeout for a give-back Test
 * refused (resources.ts, transition.ts blockAfter). Without this check a refusal asked again at
 * every evaluation (Test and its notification hundreds of times a second) broke no other invariant.
 */
/**
 * Checklists something outside the evaluation asked for, which may come at any time: an operator's
 * command, the agent's stop, an address's lifetime running out, the quorum store, a lost carrier.
 */
const ASKED: ReadonlySet<string> = new Set([
  'operator',
  'stopping',
  'expired',
  'key-lost',
  'quorum-lost',
  'carrier-lost',
])

export class RefusalPace {
  /** node/owner/action: when its last checklist changed nothing (true time). */
  private readonly refused = new Map<string, number>()
  /** node/owner/action: when its running checklist started. */
  private readonly started = new Map<string, number>()
  /** node/owner: when that node last saw the owner's liveness change. */
  private readonly changed = new Map<string, number>()
  /** node/owner/action: asked again at once since its last refusal, as the owner forced its claim. */
  private readonly excused = new Set<string>()
  private readonly shortestMs: number
  violation: Violation | undefined

  constructor(setup: Setup, skew: number) {
    const t = setup.timers
    const claim = t.claimTimeoutMs ?? Math.max(30_000, t.stableForMs + 2 * t.deadAfterMs)
    // A node's clock may run fast by `skew`; a margin for rounding.
    this.shortestMs = Math.min(Math.max(5_000, t.deadAfterMs), claim / 2) / skew - 1
  }

  event(node: string, e: IpfoEvent, now: number): void {
    switch (e.kind) {
      case 'checklist-aborted':
        // A strict Post phase that failed: the addresses changed (the outcome is `done`).
        if (e.step.startsWith('Post')) break
        this.refuse(node, e.owner, e.action, now)
        break
      case 'notification-only':
        this.refuse(node, e.owner, e.action, now)
        break
      case 'takeover-refused':
        // Arbitration found the address in use, or the witness unreachable.
        this.refuse(node, e.owner, 'acquire', now)
        break
      case 'checklist-finished':
        // The address change itself failed (and was rolled back).
        if (e.outcome === 'failed') this.refuse(node, e.owner, e.action, now)
        break
      case 'acquiring':
      case 'releasing': {
        const action = e.kind === 'acquiring' ? 'acquire' : 'release'
        const k = key(node, e.owner, action)
        this.started.set(k, now)
        if (ASKED.has(e.cause)) break
        const last = this.refused.get(k)
        if (last === undefined || now - last >= this.shortestMs) break
        // The owner forced its claim over a refused give-back: asked again at once, once.
        if (e.kind === 'releasing' && e.cause === 'owner-holds' && !this.excused.has(k)) {
          this.excused.add(k)
          break
        }
        this.violation ??= {
          invariant: 'refusal-pace',
          at: now,
          message: `${node} started a ${e.kind} checklist for ${e.owner} ${(now - last).toFixed(1)} ms after the last one changed nothing (no sooner than ${this.shortestMs.toFixed(0)} ms: its retry time)`,
        }
        break
      }
      case 'peer-lost':
      case 'peer-restored':
        this.forget(node, e.peer, now)
        break
    }
  }

  /** A checklist that changed nothing: unless the owner's liveness changed while it ran, paced. */
  private refuse(node: string, owner: string, action: string, now: number): void {
    const k = key(node, owner, action)
    this.excused.delete(k)
    const changedAt = this.changed.get(`${node}/${owner}`)
    if (changedAt !== undefined && changedAt >= (this.started.get(k) ?? Number.POSITIVE_INFINITY))
      this.refused.delete(k)
    else this.refused.set(k, now)
  }

  /** The agent restarted: its blocks are gone with it. */
  agentEnded(node: string): void {
    for (const k of [...this.refused.keys()]) if (k.startsWith(`${node}/`)) this.refused.delete(k)
  }

  /** The owner's liveness changed on `node`: its refusals there no longer count. */
  private forget(node: string, owner: string, now: number): void {
    this.changed.set(`${node}/${owner}`, now)
    this.refused.delete(key(node, owner, 'acquire'))
    this.refused.delete(key(node, owner, 'release'))
  }
}

function key(node: string, owner: string, action: string): string {
  return `${node}/${owner}/${action}`
}
