/** One verdict of `ipfo afp check` (the shape `ipfo doctor` uses too). */
export interface CheckResult {
  /** A stable id for scripts, e.g. `shared-volume`. */
  readonly check: string
  readonly verdict: 'pass' | 'warn' | 'fail'
  /** What was found, naming the file or path. */
  readonly detail: string
  /** How to fix it; set for warn and fail. */
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
