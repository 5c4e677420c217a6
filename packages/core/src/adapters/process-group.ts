/** How often a stopping group is looked at during its grace period. */
const POLL_MS = 50

/**
 * Stops a whole process group: SIGTERM, then SIGKILL if anything of it is left after `graceMs`.
 * Signalling the group, not the leader, is what reaches a hook's children and grandchildren.
 * Resolves at once when the group is already gone.
 */
export async function stopProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalProcessGroup(pgid, 'SIGTERM')) return
  const end = Date.now() + graceMs
  // Unreaped zombies count as members, so under an init that does not reap this waits the full grace.
  while (Date.now() < end) {
    await delay(POLL_MS)
    if (!processGroupAlive(pgid)) return
  }
  signalProcessGroup(pgid, 'SIGKILL')
}

/** Whether any process of the group is left (signal 0 tests without signalling). */
export function processGroupAlive(pgid: number): boolean {
  return signalProcessGroup(pgid, 0)
}

/** Sends a signal to every process of the group; false when the group is gone (ESRCH). */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
