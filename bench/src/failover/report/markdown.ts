import { quantile } from '../stats.js'
import { doublesPerRun, partitionSection, quorumNotes } from './markdown-partition.js'
import { threeSection } from './markdown-three.js'
import { FAULT_LABEL, type FaultResult, type Report } from './report.js'
import { header, labelOf, ms, row, spread } from './table.js'

/** The first columns of every fault's table: who, how often b took over, and the outage's spread. */
const OUTAGE_COLUMNS = ['setting', 'took over', 'outage min', 'median', 'p95', 'max'] as const

/** The results as markdown: tables first, then how they were measured. */
export function renderMarkdown(report: Report): string {
  const { machine, method } = report
  const three = report.three !== undefined
  const lines = [
    `# Failover benchmark${three ? ', three nodes: ipfo, keepalived' : ': ipfo, keepalived, ucarp'}${report.smoke ? ' (smoke run)' : ''}`,
    '',
    `${report.date}. ${machine.cpu}, ${machine.cores} cores, Linux ${machine.kernel} (${machine.os}), Node ${machine.node}` +
      (machine.loadAverage
        ? `; load average ${machine.loadAverage.start.toFixed(2)} at the start, ${machine.loadAverage.end.toFixed(2)} at the end.`
        : '.'),
    `Versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `${method.runs} runs per setting${three ? '' : ' and fault'}, client probe every ${method.probeEveryMs} ms; the fault comes a uniformly` +
      ` random 300-${300 + method.faultJitterMs} ms after the client first hears a${three ? ' (and b, for the second)' : ''}. All times in ms.` +
      quietNote(report),
    '',
    ...(report.three ? threeSection(report, report.three) : pairSections(report)),
    '## Ratios and targets',
    '',
    ...report.ratios.map((r) => `- ${r.name}: ${r.value ?? 'not measured'}`),
    ...report.targets.map(
      (t) => `- ${t.met === null ? 'not measured' : t.met ? 'met' : 'MISSED'}: ${t.name}: ${t.detail}`,
    ),
    '',
    '## Settings',
    '',
    ...report.settings.map(
      (s) =>
        `- ${s.label} (\`${s.id}\`): ${Object.entries(s.params)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    ),
    '',
    ...errorsSection(report),
  ]
  return `${lines.join('\n')}\n`
}

/** The pair's tables: one per fault, then the idle cost and false failovers. */
function pairSections(report: Report): string[] {
  const { method } = report
  const label = labelOf(report)
  const ok = (r: FaultResult) =>
    `${r.tookOver}/${r.runs.length}${r.errors.length > 0 ? ` (+${r.errors.length} failed attempts)` : ''}`
  const deaths = report.results.filter((r) => r.fault === 'node-death')
  const cuts = report.results.filter((r) => r.fault === 'link-cut')
  const crashes = report.results.filter((r) => r.fault === 'daemon-crash')
  const serviceDeaths = report.results.filter((r) => r.fault === 'service-death')
  const partitions = report.results.filter((r) => r.fault === 'partition')
  return [
    `## ${FAULT_LABEL['node-death']}`,
    '',
    'Outage: the longest time the client got no answer from the VIP. Steps: median time from the start of the outage',
    "(the client's last answer from a) until b's daemon logged its decision, the VIP was on b, b's first gratuitous ARP reached the",
    'client\'s cable, the client\'s ARP entry pointed at b, b answered. "announced" is stamped by the kernel (tcpdump on the client);',
    '"decided" by the daemon itself where its log has a time to the millisecond (ipfo), else when the benchmark read the line;',
    '"VIP added" and "client learned" when `ip monitor` read the event: late by as long as this busy host kept it from a core.',
    '',
    ...header([
      ...OUTAGE_COLUMNS,
      'decided',
      'VIP added',
      'announced',
      'client learned',
      'answered',
      'double answers',
      'failback outage median / max',
    ]),
    ...deaths.map((r) =>
      row([
        label(r.setting),
        ok(r),
        ...spread(r.outageMs),
        ms(r.steps.decided),
        ms(r.steps.added),
        ms(r.steps.announced),
        ms(r.steps.learned),
        ms(r.steps.answered),
        `${r.doubleAnswers.takeover + r.doubleAnswers.return} (${r.doubleAnswers.runsWithAny} runs)`,
        `${ms(r.returnOutageMs?.median)} / ${ms(r.returnOutageMs?.max)}${r.returnCensored ? ` (${r.returnCensored} unsettled)` : ''}`,
      ]),
    ),
    '',
    `## ${FAULT_LABEL['link-cut']}`,
    '',
    `a's cables are pulled while its daemon keeps running; after b answers, the cut lasts ${method.splitHoldMs} ms more,`,
    'then the cables come back (heal). "a kept VIP": runs where a still had the VIP on its interface just before the heal,',
    "i.e. both nodes held it (split brain). Double answers: broadcast probes answered by both nodes after the heal. Heal outage: the client's",
    `longest silence after the heal (capped at ${method.returnTimeoutMs} ms; "unsettled" runs hit the cap).`,
    '',
    ...header([
      'setting',
      'took over',
      'outage to b min',
      'median',
      'p95',
      'max',
      'a kept VIP',
      'both held median',
      'double answers',
      'heal outage median / max',
    ]),
    ...cuts.map((r) =>
      row([
        label(r.setting),
        ok(r),
        ...spread(r.outageMs),
        `${r.aKeptVip}/${r.runs.length}`,
        ms(r.bothHeldMs?.median),
        `${r.doubleAnswers.return + r.doubleAnswers.takeover} (${r.doubleAnswers.runsWithAny} runs)`,
        `${ms(r.returnOutageMs?.median)} / ${ms(r.returnOutageMs?.max)}${r.returnCensored ? ` (${r.returnCensored} unsettled)` : ''}`,
      ]),
    ),
    '',
    `## ${FAULT_LABEL['daemon-crash']}`,
    '',
    "a's daemon is killed with SIGKILL (its process group) while the host, its cables, the service and the VIP on its",
    'interface stay. Outage: the longest time the client got no answer (a system that leaves the VIP on a keeps answering',
    'from there: little or no outage, and two hosts answering for the address). Both held: ms with the VIP on both',
    "interfaces from the crash until a's daemon is started again (300 ms after b answers). Restart outage: the client's",
    'longest silence after the daemon on a starts again.',
    '',
    ...header([
      ...OUTAGE_COLUMNS,
      'VIP added',
      'both held median',
      'max',
      'double answers',
      'restart outage median / max',
    ]),
    ...crashes.map((r) =>
      row([
        label(r.setting),
        ok(r),
        ...spread(r.outageMs),
        ms(r.steps.added),
        ms(r.bothHeldMs?.median),
        ms(r.bothHeldMs?.max),
        `${r.doubleAnswers.takeover + r.doubleAnswers.return} (${r.doubleAnswers.runsWithAny} runs)`,
        `${ms(r.returnOutageMs?.median)} / ${ms(r.returnOutageMs?.max)}${r.returnCensored ? ` (${r.returnCensored} unsettled)` : ''}`,
      ]),
    ),
    '',
    `## ${FAULT_LABEL['service-death']}`,
    '',
    "a's service (what the client's probes reach; it also serves http://127.0.0.1:8080/ for the health checks) is",
    "killed with SIGKILL while a's daemon, host, cables and the VIP stay. ipfo: an http check of it every 100 ms (timeout",
    '80 ms, fall 2, rise 2) that the VIP requires on both nodes; keepalived: a `vrrp_script` running `curl` every second',
    "(its shortest interval; fall 1, rise 1, weight -60: a's priority 150 falls below b's 100). ucarp has no health",
    "checks: not run. Outage: the client's longest silence, from its last answer from a (the service's death) to the",
    "first from b. Both held: ms with the VIP on both interfaces from the death until a's service starts again (300 ms",
    "after b answers). Double answers: broadcast probes answered by both nodes (a node's witness answers them while it",
    "holds the VIP, its service dead or not). Failback outage: the client's longest silence after a's service starts again.",
    '',
    ...header([
      ...OUTAGE_COLUMNS,
      'decided',
      'VIP added',
      'answered',
      'both held median',
      'max',
      'double answers',
      'failback outage median / max',
    ]),
    ...serviceDeaths.map((r) =>
      row([
        label(r.setting),
        ok(r),
        ...spread(r.outageMs),
        ms(r.steps.decided),
        ms(r.steps.added),
        ms(r.steps.answered),
        ms(r.bothHeldMs?.median),
        ms(r.bothHeldMs?.max),
        `${r.doubleAnswers.takeover + r.doubleAnswers.return} (${r.doubleAnswers.runsWithAny} runs)`,
        `${ms(r.returnOutageMs?.median)} / ${ms(r.returnOutageMs?.max)}${r.returnCensored ? ` (${r.returnCensored} unsettled)` : ''}`,
      ]),
    ),
    '',
    ...(partitions.length > 0 ? partitionSection(report, partitions) : []),
    ...doublesPerRun(report),
    ...quorumNotes(report),
    '## Idle cost and false failovers',
    '',
    `Idle: ${method.costSeconds} s with a holding the VIP, no probes; CPU in % of one core (utime+stime of the daemon's`,
    "processes, those it runs outside its process group such as ipfo's guard, and their reaped children), RSS summed",
    `over those processes. Stress: \`stress-ng --cpu N\` for ${method.stressSeconds} s${method.stressNiced ? ' at nice 19' : ''} with no fault,`,
    `one window for each N (${workersOf(report).join(' / ')}, in that order in the last two columns); a false takeover is the VIP appearing on b.`,
    '',
    ...header([
      'setting',
      'a CPU %',
      'a RSS MB',
      'b CPU %',
      'b RSS MB',
      'processes',
      'false takeovers',
      'VIP changes',
    ]),
    ...report.steady.map((s) =>
      row([
        label(s.setting),
        ms(s.cost?.a.cpuPercent),
        ms(s.cost?.a.rssMb),
        ms(s.cost?.b.cpuPercent),
        ms(s.cost?.b.rssMb),
        s.cost ? `${s.cost.a.processes} + ${s.cost.b.processes}` : '-',
        s.stress && s.stress.length > 0
          ? s.stress.map((w) => `${w.falseTakeovers}${whyTaken(w)}`).join(' / ')
          : s.error
            ? `error: ${s.error.split('\n')[0]}`
            : 'not stressed',
        s.stress && s.stress.length > 0 ? s.stress.map((w) => w.addressChanges).join(' / ') : '-',
      ]),
    ),
    '',
    ...checksCost(report),
  ]
}

/**
 * What ten health checks cost at idle: a setting with them against the same setting without, node
 * by node (CPU in points of one core, RSS in MB).
 */
function checksCost(report: Report): string[] {
  const cost = (id: string) => report.steady.find((s) => s.setting === id)?.cost
  const diff = (x: number, y: number) => {
    const d = Math.round((x - y) * 100) / 100
    return `${d >= 0 ? '+' : ''}${d}`
  }
  const lines = [
    ['ipfo-checks10', 'ipfo-default'],
    ['ipfo-10ms-checks10', 'ipfo-10ms'],
  ].flatMap(([withChecks, plain]) => {
    const a = cost(withChecks!)
    const b = cost(plain!)
    if (!a || !b) return []
    return [
      `- \`${withChecks}\` - \`${plain}\`: a ${diff(a.a.cpuPercent, b.a.cpuPercent)} % CPU, ${diff(a.a.rssMb, b.a.rssMb)} MB;` +
        ` b ${diff(a.b.cpuPercent, b.b.cpuPercent)} % CPU, ${diff(a.b.rssMb, b.b.rssMb)} MB`,
    ]
  })
  return lines.length === 0
    ? []
    : [
        "Ten http checks at 100 ms (the same setting with and without them; the service's own cost of answering is not counted):",
        '',
        ...lines,
        '',
      ]
}

/** The stress windows' worker counts (a report from before issue 23 had one: the cores). */
function workersOf(report: Report): readonly number[] {
  return report.method.stressWorkers ?? [report.machine.cores]
}

/** ipfo's reasons for the false takeovers under stress, and the checks the load made fail. */
function whyTaken(stress: NonNullable<Report['steady'][number]['stress']>[number]): string {
  const reasons = Object.entries(stress.takeoverReasons ?? {}).map(([why, n]) => `${n}x ${why}`)
  const checks = stress.checkFailures ? [`${stress.checkFailures} checks failed`] : []
  const lapses = stress.quorumLost ? [`${stress.quorumLost} leases lapsed`] : []
  const worst = stress.longestStall
  const stalls = stress.loopStalls
    ? [
        `${stress.loopStalls} late timers` +
          (worst
            ? `, the longest ${worst.node}'s by ${Math.round(worst.stalledMs)} ms${worst.ranMs === undefined ? '' : ` (${worst.ranMs} ms of CPU)`}`
            : ''),
      ]
    : []
  const all = [...reasons, ...checks, ...lapses, ...stalls]
  return all.length > 0 ? ` (${all.join('; ')})` : ''
}

/** How busy other work kept the machine just before the runs. */
function quietNote(report: Report): string {
  const busy = [...report.results, ...(report.three ?? [])].flatMap((r) =>
    r.runs.flatMap((run) => run.backgroundBusyPercent ?? []),
  )
  if (report.method.quietPercent === undefined || busy.length === 0) return ''
  const median = Math.round(quantile(busy, 0.5) * 10) / 10
  return ` Each run waited (up to 5 min) until other work kept at most ${report.method.quietPercent}% of the CPU busy; measured just before the runs: median ${median}%, max ${Math.max(...busy)}%.`
}

function errorsSection(report: Report): string[] {
  const errors = [
    ...report.results.flatMap((r) => r.errors.map((e) => `- ${r.setting} ${r.fault}: ${firstLines(e)}`)),
    ...(report.three ?? []).flatMap((r) =>
      r.errors.map((e) => `- ${r.setting} three nodes: ${firstLines(e)}`),
    ),
    ...report.steady.flatMap((s) =>
      (s.failedAttempts ?? []).map((e) => `- ${s.setting} idle/stress: ${firstLines(e)}`),
    ),
  ]
  return errors.length === 0
    ? []
    : ['## Failed attempts (each was retried; full daemon output in the JSON)', '', ...errors, '']
}

/** The error and the daemon lines that say why (a crash's "Error:" line), on one line. */
function firstLines(error: string): string {
  const lines = error.split('\n')
  const why = lines
    .slice(1)
    .filter((l) => /Error|error|failed/.test(l))
    .slice(0, 2)
  return [lines[0], ...why.map((l) => l.trim())].join(' / ')
}
