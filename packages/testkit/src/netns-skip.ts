/**
 * For namespace tests, given what @ipfo/core/netns's `netnsAvailable()` found: undefined when they
 * can run, else why they are skipped. On CI (`ci` true) a missing capability is a failure, not a
 * skip, so a broken runner cannot pass by testing nothing.
 */
export function netnsSkipReason(status: { ok: boolean; reason?: string }, ci: boolean): string | undefined {
  if (status.ok) return undefined
  if (ci) throw new Error(`namespace tests cannot run on CI: ${status.reason}`)
  return status.reason
}
