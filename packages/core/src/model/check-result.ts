/** One verdict of a check (`ipfo doctor`, `ipfo afp check`): what was seen, and what to do about a failure. */
export interface CheckResult {
  readonly check: string
  readonly verdict: 'pass' | 'warn' | 'fail'
  readonly detail: string
  readonly hint?: string
}

export const pass = (check: string, detail: string): CheckResult => ({ check, verdict: 'pass', detail })
export const warn = (check: string, detail: string, hint: string): CheckResult => ({
  check,
  verdict: 'warn',
  detail,
  hint,
})
export const fail = (check: string, detail: string, hint: string): CheckResult => ({
  check,
  verdict: 'fail',
  detail,
  hint,
})
