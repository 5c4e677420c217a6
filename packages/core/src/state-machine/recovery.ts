import type { JournalEntry } from '../model/ports.js'

/** The steps a checklist interrupted by a crash still has to run once the agent is back. */
export type RemainingStep = 'announce' | 'PostAcq' | 'PostRel' | 'notify'

export type RecoveryDecision =
  /** Written ahead of time (`armed`) and never used: nothing happened, nothing is said. */
  | { readonly kind: 'forget' }
  | { readonly kind: 'finished'; readonly reason: string; readonly steps: readonly RemainingStep[] }
  /** `undoPreAcq`: an acquire whose PreAcq had begun; PreRel and PostRel undo what it set up. */
  | { readonly kind: 'rolled-back'; readonly reason: string; readonly undoPreAcq: boolean }

/**
 * What to do with a checklist an earlier run was killed in the middle of, given whether every one of
 * its addresses is on the interfaces now (`complete`). An acquire whose addresses were all added is
 * finished (announce, PostAcq, notify): removing them again would only make clients lose them twice.
 * One that had not got that far is rolled back (whatever it added is removed by the reconcile), and
 * if its PreAcq had begun (`prepared`, or `changed`: the reboot took the addresses), what PreAcq set
 * up is undone as an abandoned acquire's is (see executor: a volume mounted for nothing). A
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
      : entry.reached === 'prepared' || entry.reached === 'changed'
        ? {
            kind: 'rolled-back',
            reason:
              'the addresses are not all on the interfaces; any that are are removed, and PreAcq had begun',
            undoPreAcq: true,
          }
        : {
            kind: 'rolled-back',
            reason: 'the addresses had not all been added; any that were are removed',
            undoPreAcq: false,
          }
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
    undoPreAcq: false,
  }
}
