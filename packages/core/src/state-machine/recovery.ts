import type { JournalEntry } from '../model/ports.js'

/** The steps a checklist interrupted by a crash still has to run once the agent is back. */
export type RemainingStep = 'announce' | 'PostAcq' | 'PostRel' | 'notify'

export type RecoveryDecision =
  /** Written ahead of time (`armed`) and never used: nothing happened, nothing is said. */
  | { readonly kind: 'forget' }
  | { readonly kind: 'finished'; readonly reason: string; readonly steps: readonly RemainingStep[] }
  | { readonly kind: 'rolled-back'; readonly reason: string }

/**
 * What to do with a checklist an earlier run was killed in the middle of, given whether every one of
 * its addresses is on the interfaces now (`complete`). An acquire whose addresses were all added is
 * finished (announce, PostAcq, notify): removing them again would only make clients lose them twice.
 * One that had not got that far is rolled back (whatever it added is removed by the reconcile). A
 * release whose addresses were all removed is finished (PostRel, notify); otherwise the addresses
 * stay and the machine decides again.
 */
export function recoveryDecision(
  entry: Pick<JournalEntry, 'action' | 'reached'>,
  complete: boolean,
): RecoveryDecision {
  if (entry.reached === 'armed' && !complete) return { kind: 'forget' }
  if (entry.action === 'acquire') {
    return complete
      ? {
          kind: 'finished',
          reason: 'the addresses were added; PostAcq had not run',
          steps: ['announce', 'PostAcq', 'notify'],
        }
      : { kind: 'rolled-back', reason: 'the addresses had not all been added; any that were are removed' }
  }
  if (entry.reached === 'changed' && !complete)
    return {
      kind: 'finished',
      reason: 'the addresses were removed; PostRel had not run',
      steps: ['PostRel', 'notify'],
    }
  return {
    kind: 'rolled-back',
    reason: complete
      ? 'the addresses are still held; the release will be decided again'
      : 'the release had not completed',
  }
}
