import { type BaseChain, evaluate, type Probe } from './rules.js'

/** What the firewall does to a peer's heartbeats on one link. */
export type Finding =
  | { readonly verdict: 'accept' }
  /** Dropped when new; accepted as a conntrack reply to this node's own heartbeats. */
  | { readonly verdict: 'reply-only'; readonly by: string; readonly fixes: readonly string[] }
  | { readonly verdict: 'drop'; readonly by: string; readonly fixes: readonly string[] }
  | { readonly verdict: 'unknown'; readonly because: string; readonly fixes: readonly string[] }

/**
 * Judges one heartbeat against a firewall: as the first packet of a flow (the peer started first, or
 * sends to a broadcast address), and, when that is dropped, as a reply to this node's own heartbeats.
 * The fixes are the exact commands that let it in, one per base chain that drops it.
 */
export function judgeHeartbeat(bases: readonly BaseChain[], probe: Probe): Finding {
  const fresh = evaluate(bases, { ...probe, ct: 'new' })
  const firstFix = bases.filter((b) => b.families.includes(probe.family)).map((b) => b.fix(probe))
  if (fresh.verdict === 'accept') return { verdict: 'accept' }
  if (fresh.verdict === 'unknown')
    return { verdict: 'unknown', because: fresh.because, fixes: firstFix.slice(0, 1) }
  const fixes = fresh.chains.map((b) => b.fix(probe))
  const reply = evaluate(bases, { ...probe, ct: 'established' })
  return reply.verdict === 'accept'
    ? { verdict: 'reply-only', by: fresh.by, fixes }
    : { verdict: 'drop', by: fresh.by, fixes }
}

/** How bad a finding is, to report the worst of a link's targets: drop, unknown, reply-only, accept. */
export function findingRank(f: Finding): number {
  return { accept: 0, 'reply-only': 1, unknown: 2, drop: 3 }[f.verdict]
}
