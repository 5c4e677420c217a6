/** One run of a health check (issue 19): did the service answer as it should, and, in a few words, why not. */
export interface HealthResult {
  readonly ok: boolean
  /** `HTTP 200`, `status 503 (expected 200)`, `ECONNREFUSED`, `timed out after 50 ms`. */
  readonly detail: string
}
