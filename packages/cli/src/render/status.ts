import type { AgentStatus } from '@ipfo/core'

const ms = (n: number | null) =>
  n === null ? 'never' : n < 1000 ? `${Math.round(n)}ms ago` : `${(n / 1000).toFixed(1)}s ago`

/** `ipfo status` for a person: what this node holds, how each peer and link looks, what to worry about. */
export function renderStatus(s: AgentStatus): string {
  const lines: string[] = []
  if (s.maintenance)
    lines.push('!!! MAINTENANCE MODE: no automatic takeover or failback (ipfo maintenance off) !!!', '')
  lines.push(
    `node ${s.node}: ${s.state}, up ${(s.uptimeMs / 1000).toFixed(0)}s`,
    `detection: a peer silent on every link for ${s.timing.deadAfterMs}ms is taken over (heartbeat every ${s.timing.intervalMs}ms on ${s.links.join(', ')})`,
    `holds: ${s.held.length > 0 ? s.held.join(', ') : 'nothing'}`,
    '',
  )
  for (const p of s.peers) {
    const health = p.lost
      ? 'LOST'
      : p.anomaly
        ? 'ANOMALY (some links silent)'
        : p.alive
          ? 'alive'
          : 'not heard yet'
    lines.push(
      `peer ${p.id}: ${health}${p.state ? `, says ${p.state}` : ''}${p.held.length ? `, holds ${p.held.join(', ')}` : ''}`,
    )
    for (const l of p.links)
      lines.push(`  ${l.up ? 'up  ' : 'DOWN'} ${l.name.padEnd(12)} last heartbeat ${ms(l.lastSeenMsAgo)}`)
  }
  if (s.resources.length > 0) lines.push('')
  for (const r of s.resources) {
    const flags = [
      r.manual && 'taken by hand',
      r.heldBack && 'released by hand',
      r.blocked && `blocked (${r.blocked.action})`,
    ]
      .filter(Boolean)
      .join(', ')
    lines.push(
      `${r.owner === s.node ? 'own' : `${r.owner}'s`} ${r.addresses.join(', ')}: ${r.status}${flags ? ` [${flags}]` : ''}`,
    )
  }
  const dropped = Object.entries(s.counters.dropped).filter(([k]) => k !== 'own-packet')
  lines.push(
    '',
    `heartbeats: ${s.counters.sent} sent, ${s.counters.received} received${dropped.length ? `, dropped ${dropped.map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`,
  )
  return lines.join('\n')
}
