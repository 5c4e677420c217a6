import type { HealthResult } from '../model/health.js'

/**
 * A health check's verdict from its results (issue 19), keepalived's fall and rise: a passing check
 * fails after `fall` failed results in a row, a failing one passes again after `rise` good ones in a
 * row. One result the other way is no change: a flapping service does not move an address at every
 * flap. Pure: results and time come in as arguments.
 */
export interface CheckRule {
  /** Failed results in a row that make a passing check fail. */
  readonly fall: number
  /** Good results in a row that make a failing check pass. */
  readonly rise: number
  /** What the check says before its first results count (keepalived assumes passing). */
  readonly initial: 'passing' | 'failing'
}

export interface CheckState {
  readonly passing: boolean
  /** Results in a row that disagree with `passing` (a change comes when this reaches fall or rise). */
  readonly against: number
  readonly last: (HealthResult & { readonly at: number }) | null
  /** When `passing` last changed (or the check started). */
  readonly since: number
  readonly runs: number
  readonly failures: number
}

export function initialCheckState(rule: CheckRule, now: number): CheckState {
  return { passing: rule.initial === 'passing', against: 0, last: null, since: now, runs: 0, failures: 0 }
}

/** The state after one more result, and whether the verdict changed (`failed`, `recovered`). */
export function onCheckResult(
  rule: CheckRule,
  s: CheckState,
  result: HealthResult,
  now: number,
): { readonly state: CheckState; readonly changed?: 'failed' | 'recovered' } {
  const counted = {
    ...s,
    last: { ...result, at: now },
    runs: s.runs + 1,
    failures: s.failures + (result.ok ? 0 : 1),
  }
  if (result.ok === s.passing) return { state: { ...counted, against: 0 } }
  const against = s.against + 1
  if (against < (s.passing ? rule.fall : rule.rise)) return { state: { ...counted, against } }
  return {
    state: { ...counted, passing: result.ok, against: 0, since: now },
    changed: result.ok ? 'recovered' : 'failed',
  }
}
