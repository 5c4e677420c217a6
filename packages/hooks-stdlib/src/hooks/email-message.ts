import type { HookEvent, HookResult } from '../define-hook.js'

export interface MailText {
  readonly subject: string
  readonly text: string
}

const VERBS = {
  acquire: { Test: 'is checking before taking over', PreAcq: 'is taking over', PostAcq: 'took over' },
  release: { Test: 'is checking before releasing', PreRel: 'is releasing', PostRel: 'released' },
} as const

/** What happened, in a few words: "b took over 192.168.1.100/24 from a". */
export function eventHeadline(event: HookEvent): string {
  const verbs: Record<string, string> = VERBS[event.action]
  const verb = verbs[event.phase ?? ''] ?? (event.action === 'acquire' ? 'is taking over' : 'is releasing')
  const cidrs = event.addresses.map((a) => `${a.ip}/${a.prefix}`).join(', ')
  const node = event.node ?? 'this node'
  const foreign = event.owner !== undefined && event.owner !== event.node
  const whose = foreign
    ? event.action === 'acquire'
      ? ` from ${event.owner}`
      : ` back to ${event.owner}`
    : ''
  return `${node} ${verb} ${cidrs}${whose}`
}

/** The mail for an acquire or release: the event, the addresses, detection, and the hooks so far. */
export function eventMail(event: HookEvent): MailText {
  const headline = eventHeadline(event)
  const rows: [string, string][] = [
    ['Event', `${event.action}${event.phase ? ` (${event.phase})` : ''}`],
    ['Node', event.node ?? '(unknown)'],
    ['Owner', event.owner ?? '(unknown)'],
    ['Peer', event.peer ?? '(none)'],
    ['Addresses', event.addresses.map((a) => `${a.ip}/${a.prefix} on ${a.interface}`).join('\n')],
    ['Reason', event.reason ?? '(not given)'],
    ['Event time', event.eventTime ?? '(not given)'],
  ]
  if (event.detectionMs !== undefined) {
    const who = event.peer ?? 'the peer'
    rows.push(['Detection', `${event.detectionMs} ms (how long ${who} had been silent when declared lost)`])
  }
  const text = [
    `${headline}.`,
    '',
    table(rows),
    '',
    'Hooks run so far in this checklist:',
    resultsTable(event.results),
    '',
    '-- ',
    `Sent by the ipfo email hook${event.node ? ` on ${event.node}` : ''}.`,
    '',
  ].join('\n')
  return { subject: `[ipfo] ${headline}`, text }
}

export interface AnomalyDetails {
  readonly node: string
  readonly peer: string
  /** Links the peer is still heard on. */
  readonly up: readonly string[]
  /** Links it has fallen silent on. */
  readonly down: readonly string[]
  readonly time: number | Date
}

/**
 * The "network anomaly" mail Apple's IP failover sent when the peer was heard on one link but not
 * the other: nothing is taken over, but one failure more and the pair cannot tell a dead peer from a
 * cut link. Sent when the engine reports a link-anomaly event.
 */
export function anomalyMail(details: AnomalyDetails): MailText {
  const down = details.down.join(', ')
  const up = details.up.join(', ')
  const subject = `[ipfo] network anomaly on ${details.node}: ${details.peer} is silent on ${down}`
  const text = [
    `IP failover network anomaly on ${details.node}.`,
    '',
    `${details.peer} still sends heartbeats on: ${up || '(no link)'}`,
    `but nothing has been heard from it on:    ${down}`,
    '',
    `No address was taken over: ${details.peer} is alive. Check the silent link (cable, switch port,`,
    'interface, firewall). Until it is repaired, the pair has lost its redundancy: if the other link',
    'fails too, each node will think the other is down.',
    '',
    table([
      ['Node', details.node],
      ['Peer', details.peer],
      ['Time', new Date(details.time).toISOString()],
    ]),
    ...signature(details.node),
  ].join('\n')
  return { subject, text }
}

function table(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  return rows
    .map(([label, value]) => {
      const [first = '', ...more] = value.split('\n')
      return [
        `${`${label}:`.padEnd(width)}${first}`,
        ...more.map((line) => `${' '.repeat(width)}${line}`),
      ].join('\n')
    })
    .join('\n')
}

function resultsTable(results: readonly HookResult[]): string {
  if (results.length === 0) return '  (none)'
  const width = Math.max(...results.map((r) => r.script.length))
  return results
    .map((r) => {
      const status = r.timedOut
        ? 'timed out'
        : r.exitCode === null
          ? `killed by ${r.signal ?? 'a signal'}`
          : r.exitCode === 0
            ? 'ok'
            : `failed (exit ${r.exitCode})`
      const took = r.durationMs === undefined ? '' : `  ${r.durationMs} ms`
      return `  ${r.script.padEnd(width)}  ${status}${took}`
    })
    .join('\n')
}

export interface NoFitDetails {
  readonly node: string
  readonly addresses: readonly string[]
  /** kept (here), released (onAllUnfit: release) or unheld (nobody holds them). */
  readonly action: string
  /** Why this node is unfit: "web failing", "eth0 without carrier". */
  readonly reason: string
  readonly time: number | Date
}

const NO_FIT_ACTIONS: Record<string, string> = {
  kept: 'They stay on this node, which is unfit too: clients reach a service that may not answer.',
  released: 'They were released (onAllUnfit: release): no node answers for them until one is fit.',
  unheld: 'No node holds them: this one is unfit and takes nothing.',
}

/**
 * The mail for a no-node-fit event: every live node's health checks fail for these addresses, so
 * failover has nowhere to move them. The one case a person must act on at once.
 */
export function noFitMail(details: NoFitDetails): MailText {
  const list = details.addresses.join(', ')
  const subject = `[ipfo] no node is fit for ${list}`
  const text = [
    `No node is fit for ${list} (seen from ${details.node}).`,
    '',
    NO_FIT_ACTIONS[details.action] ?? `Action: ${details.action}.`,
    'Every live node fails a health check these addresses require; the address moves again as soon',
    'as one node passes them (see "ipfo status" on each node for the checks and their last results).',
    '',
    table([
      ['Node', details.node],
      ['Addresses', list],
      ['Here', details.reason || '(unfit)'],
      ['Time', new Date(details.time).toISOString()],
    ]),
    ...signature(details.node),
  ].join('\n')
  return { subject, text }
}

/** The closing lines of a notice mail: a blank line, the signature separator, who sent it. */
function signature(node: string): string[] {
  return ['', '-- ', `Sent by the ipfo email hook on ${node}.`, '']
}
