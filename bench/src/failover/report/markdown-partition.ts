import { FAULT_LABEL, type FaultResult, type Report } from './report.js'
import { header, labelOf, ms, row, spread } from './table.js'

/** The partitioned holder (issue 21): who answers while a is cut off from b and etcd, and the handover. */
export function partitionSection(report: Report, partitions: readonly FaultResult[]): string[] {
  const label = labelOf(report)
  return [
    `## ${FAULT_LABEL.partition}`,
    '',
    "nftables in a's namespace drops everything between a and b's two addresses (every heartbeat link, keepalived's",
    "unicast adverts) and the etcd members'; a's cables stay in and the client still reaches it. After b answers the",
    `cut lasts ${report.method.splitHoldMs} ms more, then the table goes (heal). Without quorum both nodes hold the VIP (split brain);`,
    'with it, a drops the VIP when its lease stops being known valid (leaseTtl - margin after its last renewal) and b',
    "adds it once etcd expired a's lease. a dropped, b added: median ms from the cut; gap: from a's drop to b's add.",
    'Double answers: broadcast probes answered by both nodes, from the cut to the end of the heal. ucarp (adverts',
    'through libpcap, below IP filtering) is not run.',
    '',
    ...header([
      'setting',
      'took over',
      'outage min',
      'median',
      'p95',
      'max',
      'a kept VIP',
      'both held median',
      'a dropped',
      'b added',
      'gap',
      'double answers',
      'heal outage median / max',
    ]),
    ...partitions.map((r) =>
      row([
        label(r.setting),
        `${r.tookOver}/${r.runs.length}${r.errors.length > 0 ? ` (+${r.errors.length} failed attempts)` : ''}`,
        ...spread(r.outageMs),
        `${r.aKeptVip}/${r.runs.length}`,
        ms(r.bothHeldMs?.median),
        ms(r.handover.droppedMs),
        ms(r.handover.addedMs),
        ms(r.handover.gapMs),
        `${r.doubleAnswers.takeover + r.doubleAnswers.return} (${r.doubleAnswers.runsWithAny} runs)`,
        `${ms(r.returnOutageMs?.median)} / ${ms(r.returnOutageMs?.max)}${r.returnCensored ? ` (${r.returnCensored} unsettled)` : ''}`,
      ]),
    ),
    '',
  ]
}

/** Every run's double answers (fault to the end of the return), per setting and fault. */
export function doublesPerRun(report: Report): string[] {
  if (report.results.length === 0) return []
  const label = labelOf(report)
  return [
    '## Double answers per run',
    '',
    'Broadcast probes answered by both nodes in each run, in run order (from the fault to the end of the return).',
    '',
    ...report.results.map(
      (r) =>
        `- ${label(r.setting)}, ${r.fault}: ${r.runs.length === 0 ? 'no runs' : r.runs.map((run) => run.doubleAnswers.takeover + run.doubleAnswers.return).join(', ')}`,
    ),
    '',
  ]
}

/** What etcd did during the quorum runs: elections (raft terms) and leases lapsed without a fault. */
export function quorumNotes(report: Report): string[] {
  const quorum = report.results.filter((r) => r.quorum !== undefined)
  if (quorum.length === 0) return []
  const label = labelOf(report)
  return [
    '## Quorum on etcd: elections and lapses',
    '',
    'Elections: raft terms the etcd cluster went through during the runs (renewals go unanswered while it has no leader).',
    'Lapses: "quorum-lost" logged by a before the fault or by b at any time, which no fault explains.',
    '',
    ...quorum.map(
      (r) =>
        `- ${label(r.setting)}, ${r.fault}: ${r.quorum!.elections ?? 'unknown'} elections, ${r.quorum!.lapses} lapses over ${r.runs.length} runs (leaseTtl ${r.quorum!.leaseTtlMs} ms)`,
    ),
    '',
  ]
}
