import type { Report, ThreeFailover, ThreeResult } from './report.js'
import { header, labelOf, ms, row } from './table.js'

/** The three-node runs' tables (issue 20): both failovers' outages, double answers, the ratios, the steps. */
export function threeSection(report: Report, results: readonly ThreeResult[]): string[] {
  const label = labelOf(report)
  const runs = (r: ThreeResult) =>
    `${r.runs.length}${r.errors.length > 0 ? ` (+${r.errors.length} failed attempts)` : ''}`
  const outage = (f: ThreeFailover, r: ThreeResult) => [
    `${f.tookOver}/${r.runs.length}`,
    ms(f.outageMs?.median),
    ms(f.outageMs?.p95),
    ms(f.outageMs?.max),
  ]
  const steps = (f: ThreeFailover) =>
    [f.steps.decided, f.steps.added, f.steps.announced, f.steps.learned, f.steps.answered].map(ms).join(' / ')
  return [
    "## three nodes: a's death, then b's (node death: cables pulled, the node frozen)",
    '',
    'Nodes a, b and c share the public network (and a private link); a owns the VIP, b takes it over first and c after',
    'b (ipfo: `takers: [b, c]`, every node a peer of the other two; keepalived: priorities 150, 100, 50). First failover:',
    'a dies and b takes over. Second: once the client has heard b steadily, b dies while a is still dead, and c takes',
    "over. Then a and b reboot and a takes the VIP back (failback). Outage: the client's longest silence after each death,",
    'until the next death (or the reboot). Double answers: broadcast probes answered by two nodes or more, from the first',
    "death to the end of failback. Ratio: this setting's median outage over keepalived's at the same speed.",
    '',
    ...header([
      'setting',
      'runs',
      'a->b took over',
      'median',
      'p95',
      'max',
      'b->c took over',
      'median',
      'p95',
      'max',
      'double answers',
      'ratio a->b / b->c',
      'failback outage median / max',
    ]),
    ...results.map((r) =>
      row([
        label(r.setting),
        runs(r),
        ...outage(r.first, r),
        ...outage(r.second, r),
        `${r.doubleAnswers.takeover + r.doubleAnswers.return} (${r.doubleAnswers.runsWithAny} runs)`,
        r.ratio ? `${ms(r.ratio.first)}x / ${ms(r.ratio.second)}x (${label(r.ratio.against)})` : '-',
        `${ms(r.returnOutageMs?.median)} / ${ms(r.returnOutageMs?.max)}${r.returnCensored ? ` (${r.returnCensored} unsettled)` : ''}`,
      ]),
    ),
    '',
    "Steps, median ms from the start of each outage (the client's last answer from the node that died): the taker's",
    "daemon decided / the VIP on the taker / the taker's first gratuitous ARP on the client's cable / the client learned",
    'the new MAC / the taker answered.',
    '',
    ...header(['setting', 'a->b steps', 'b->c steps']),
    ...results.map((r) => row([label(r.setting), steps(r.first), steps(r.second)])),
    '',
  ]
}
