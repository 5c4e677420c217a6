/** The invariants a scenario is checked against (see apps/docs/concepts/simulation.md). */
export type InvariantName =
  | 'two-holders'
  | 'unheld'
  | 'hook-order'
  | 'refusal-pace'
  | 'engine-error'
  | 'progress'
  | 'check-runs'
  | 'fit-holder'

export interface Violation {
  readonly invariant: InvariantName
  /** True (simulated) time, ms. */
  readonly at: number
  readonly message: string
}
