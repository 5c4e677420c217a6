import type { AgentStatus } from '@ipfo/core'
import { PLAIN, type Style } from './style.js'
import { renderTable } from './table.js'

const ago = (n: number | null) =>
  n === null ? 'never' : n < 1000 ? `${Math.round(n)}ms ago` : `${(n / 1000).toFixed(1)}s ago`

const MAINTENANCE = 'MAINTENANCE MODE: no automatic takeover or failback (ipfo maintenance off)'

/**
 * `ipfo status` for a person: what this node holds, how each peer and link looks, what to worry about.
 * Maintenance mode is the first line (and, with colour, in reverse video): a node that will not take
 * over must not look like one that will.
 */
export function renderStatus(s: AgentStatus, style: Style = PLAIN): string {
  const lines: string[] = []
  if (s.maintenance)
    lines.push(
      style.color ? style.bold(style.yellow(style.inverse(` ${MAINTENANCE} `))) : `!!! ${MAINTENANCE} !!!`,
      '',
    )
  const state = s.state === 'healthy' ? style.green(s.state) : style.bold(style.yellow(s.state))
  lines.push(
    `node ${style.bold(s.node)}: ${state}, up ${(s.uptimeMs / 1000).toFixed(0)}s`,
    `detection: a peer silent on every link for ${s.timing.deadAfterMs}ms is taken over (heartbeat every ${s.timing.intervalMs}ms on ${s.links.join(', ')})`,
    `holds: ${s.held.length > 0 ? s.held.join(', ') : 'nothing'}`,
  )
  if (s.guard) lines.push(guardLine(s.guard, style))
  if (s.lifetimes && s.lifetimes.addresses.length > 0) lines.push(lifetimeLine(s.lifetimes))
  if (s.quorum) lines.push(...quorumLines(s.quorum, style))
  for (const iface of s.noCarrier ?? [])
    lines.push(
      style.bold(style.red(`NO CARRIER on ${iface}`)) +
        ': its addresses are released here and claimed again once the cable is back and the peers are heard',
    )
  for (const p of s.peers) {
    const health = p.lost
      ? style.bold(style.red('LOST'))
      : p.heardVia
        ? style.yellow(`SILENT HERE, heard through ${p.heardVia}`)
        : p.anomaly
          ? style.yellow('ANOMALY (some links silent)')
          : p.alive
            ? style.green('alive')
            : style.dim('not heard yet')
    lines.push(
      '',
      `peer ${style.bold(p.id)}: ${health}${p.state ? `, says ${p.state}` : ''}${p.held.length ? `, holds ${p.held.join(', ')}` : ''}${p.fit ? `, fit for ${p.fit.join(', ') || 'nothing'}` : ''}`,
      ...renderTable(
        p.links.map((l) => [
          l.up ? style.green('up') : style.bold(style.red('DOWN')),
          l.name,
          `last heartbeat ${ago(l.lastSeenMsAgo)}`,
        ]),
        { indent: '  ' },
      ),
    )
  }
  if (s.hears && s.peers.length > 1)
    lines.push('', `hears: ${s.hears.length > 0 ? s.hears.join(', ') : style.bold(style.red('nobody'))}`)
  // More than two nodes: each address's order (owner first) and who holds it.
  const ordered = s.resources.some((r) => (r.order?.length ?? 0) > 2)
  if (s.resources.length > 0) {
    const rows = s.resources.map((r) => {
      const notes = [
        r.manual && 'taken by hand',
        r.heldBack && 'released by hand',
        r.blocked && style.red(`blocked (${r.blocked.action})`),
        r.fitHere === false && style.yellow(`unfit here (${r.failingChecks?.join(', ') || 'no carrier'})`),
        r.noNodeFit && style.bold(style.red('NO NODE IS FIT')),
        ...(r.orderMismatch ?? []).map((m) => style.bold(style.red(`ORDER MISMATCH: ${m}`))),
      ].filter((x): x is string => typeof x === 'string')
      const status = r.status === 'held' ? style.green(r.status) : r.status
      const order = ordered
        ? [r.order?.join(' > ') ?? '', r.holder ? `held by ${r.holder}` : 'held by nobody']
        : []
      return [
        r.owner === s.node ? 'own' : `${r.owner}'s`,
        r.addresses.join(', '),
        status,
        ...order,
        notes.join(', '),
      ]
    })
    lines.push('', ...renderTable(rows))
  }
  if (s.checks && s.checks.length > 0) lines.push('', ...checkLines(s.checks, style))
  for (const h of s.refusedHooks) {
    lines.push('', `${style.yellow('refused hook')} ${h.path}: ${h.reason}`, `  ${style.cyan(`-> ${h.fix}`)}`)
  }
  const dropped = Object.entries(s.counters.dropped).filter(([k]) => k !== 'own-packet')
  lines.push(
    '',
    `heartbeats: ${s.counters.sent} sent, ${s.counters.received} received${dropped.length ? `, dropped ${dropped.map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}`,
  )
  if (s.maintenance) lines.push(style.bold(style.yellow('maintenance mode is on')))
  return lines.join('\n')
}

/** One row per health check: its verdict, last result, since when, and its counters. */
function checkLines(checks: NonNullable<AgentStatus['checks']>, style: Style): string[] {
  return [
    'checks:',
    ...renderTable(
      checks.map((c) => [
        c.passing ? style.green('passing') : style.bold(style.red('FAILING')),
        c.name,
        `${c.kind} every ${c.intervalMs}ms`,
        c.last
          ? `last ${c.last.ok ? 'ok' : 'failed'}: ${c.last.detail} (${ago(c.last.msAgo)})`
          : 'not run yet',
        `${c.passing ? 'passing' : 'failing'} since ${ago(c.sinceMsAgo)}`,
        `${c.failures}/${c.runs} failed`,
      ]),
      { indent: '  ' },
    ),
  ]
}

/** What the guard would do if the agent died now; loud while there is none. */
function guardLine(g: NonNullable<AgentStatus['guard']>, style: Style): string {
  const restarts = g.restarts > 0 ? style.yellow(` (started again ${g.restarts}x)`) : ''
  if (g.pid === null)
    return `${style.bold(style.red('NO GUARD'))}${restarts}: starting it again; a crash of the agent now would leave its addresses in place`
  const plan =
    g.handOver.length > 0
      ? `removes ${g.handOver.join(', ')} and says goodbye on ${g.lastWordLinks.join(', ') || 'no link yet'}`
      : g.keep.length > 0
        ? `keeps ${g.keep.join(', ')} (no peer could take them)`
        : 'has nothing to do'
  return `guard: pid ${g.pid}${restarts}; if the agent dies, it ${plan}`
}

/** What a freeze of the agent would do to each held address: end with its kernel lifetime, or stay. */
function lifetimeLine(l: NonNullable<AgentStatus['lifetimes']>): string {
  const by = (kind: string) => l.addresses.filter((a) => a.lifetime === kind).map((a) => a.address)
  const parts = [
    by('expiring').length > 0 &&
      `${by('expiring').join(', ')} end${by('expiring').length === 1 ? 's' : ''} by itself ${l.seconds}s after the last renewal (every ${l.renewEveryMs}ms)`,
    by('forever').length > 0 && `${by('forever').join(', ')} forever (no peer would take over)`,
    by('unknown').length > 0 && `${by('unknown').join(', ')} being checked`,
  ].filter((x): x is string => typeof x === 'string')
  return `lifetimes, if the agent freezes: ${parts.join('; ')}`
}

/** Quorum (coordination): the lease and how long it is known valid, the keys held, the store. */
function quorumLines(q: NonNullable<AgentStatus['quorum']>, style: Style): string[] {
  const lease = q.valid
    ? `${style.green('valid')} for ${(q.validForMs / 1000).toFixed(1)}s (lease ${q.leaseId})`
    : style.bold(
        style.red(
          `NOT VALID: ${q.onLoss === 'release' ? 'nothing is held or claimed' : 'held addresses are KEPT (onQuorumLoss: keep)'} until it is`,
        ),
      )
  const keys = q.held.map((h) => `${h.group}'s (fencing token ${h.revision})`).join(', ') || 'none'
  return [
    `quorum: ${lease}; keys held: ${keys}`,
    `  etcd ${q.endpoints.join(', ')}; last answer from ${q.lastAnswered ?? 'none yet'}`,
  ]
}
