/** What a binding error means and what to change, by its code: the agent's error and doctor's say the same. */
export function listenHint(
  code: string | undefined,
  port: number,
): { problem: string; hint: string } | undefined {
  const hints: Record<string, { problem: string; hint: string }> = {
    EADDRINUSE: {
      problem: 'is in use by another program (another agent on this machine?)',
      hint: `find it with "ss -tlnp 'sport = :${port}'", or give metrics.listen another port`,
    },
    EADDRNOTAVAIL: {
      problem: 'is not an address of this machine (or not up yet)',
      hint: 'use an address of one of its interfaces (ip -br addr), or 127.0.0.1',
    },
    EACCES: {
      problem: 'needs privileges to bind (a port under 1024)',
      hint: 'use a port of 1024 or more, such as 9694',
    },
  }
  return hints[code ?? '']
}
