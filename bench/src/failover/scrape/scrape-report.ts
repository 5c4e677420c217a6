import type { Machine, ReportSetting } from '../report/report.js'
import type { Round, ScrapeRatio, WindowSummary } from './scrape-summary.js'

/** The JSON the metrics-scrape benchmark writes; the markdown is drawn from it. */
export interface ScrapeReport {
  readonly kind: 'ipfo-metrics-scrape-benchmark'
  readonly date: string
  readonly machine: Machine
  readonly versions: Readonly<Record<string, string>>
  readonly method: {
    readonly rounds: number
    readonly costSeconds: number
    readonly stressSeconds: number
    readonly stressWorkers: number
    readonly baseline: string
    readonly quietPercent: number | undefined
  }
  readonly settings: readonly ReportSetting[]
  readonly rounds: readonly Round[]
  readonly summary: readonly WindowSummary[]
  readonly ratios: readonly ScrapeRatio[]
}

const WINDOW_LABEL = {
  unscraped: 'idle, endpoint on, not scraped',
  idle: 'idle',
  stress: 'stress-ng --cpu',
} as const

const show = (x: number | null | undefined, unit = '') =>
  x === null || x === undefined ? '-' : `${x}${unit}`
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`

/** The results page: method, per-setting windows, ratios, and every round's background load. */
export function renderScrapeMarkdown(report: ScrapeReport): string {
  const { method, machine } = report
  const label = (id: string) => report.settings.find((s) => s.id === id)?.label ?? id
  const lines = [
    `# What a metrics scrape costs a 10 ms pair (${report.date.slice(0, 10)})`,
    '',
    `${machine.cpu}, ${machine.cores} cores, ${machine.kernel}, Node ${machine.node}; ipfo ${report.versions.ipfo ?? '?'}.`,
    `Load average ${machine.loadAverage?.start ?? '?'} at the start, ${machine.loadAverage?.end ?? '?'} at the end.`,
    '',
    '## Method',
    '',
    `${method.rounds} rounds; in each, every setting in turn (the order rotated each round) on a fresh pair in`,
    'network namespaces, a holding the VIP, b watching, no fault. A scraped setting first runs',
    `${method.costSeconds} s with the endpoint on and nobody scraping, then the client's scraper GETs both`,
    "nodes' /metrics (on their public addresses, kept-alive connections) every 100 ms; then every setting runs",
    `${method.costSeconds} s idle and ${method.stressSeconds} s of \`stress-ng --cpu ${method.stressWorkers}\`.`,
    "Each window reads both agents' heartbeat-timer counters (`ipfo status --json` `counters`: `beatLag`,",
    '`loopStalls`, `maxLoopLagMs`) at its edges: the lag is how late each 10 ms heartbeat timer fired, in',
    'whole ms, in buckets of 0, 1, 2, 5, 10, 20, 50 ... ms, so p50 and p99 are "at most" a bucket bound; the',
    'mean is exact; the max is exact when it is over 10 ms (a loop stall, logged with its length), else a',
    'bucket bound. A false takeover is the VIP appearing on b; `peer-lost` on either agent is counted too.',
    "Render: the `ipfo_metrics_render_seconds` each answer reports (the agent's previous render).",
    'CPU is percent of one core summed over the agent and its guard; the scraper is measured apart',
    "(its CPU is not the agents'). Medians over the rounds; totals for counts.",
    'The witness is a 10 ms timer in a process that is not ipfo, at one SCHED_FIFO priority above the agents',
    '(so they never delay it), that notes each time it fired 5 ms late or more. An agent loop stall it shared',
    "(their spans overlap) is the machine's: the kernel, a frozen VM, which no agent can avoid. A `peer-lost`",
    "within deadAfter after a witness stall is counted apart: the silence was at least partly the machine's.",
    '',
    '## Results',
    '',
    row([
      'setting',
      'window',
      'rounds',
      'false takeovers',
      'peer-lost',
      'loop stalls (shared with the witness)',
      'witness stalls (max ms)',
      'peer-lost just after a witness stall',
      'lag p50 / p99 / mean (ms)',
      'lag max (ms, median; max of all)',
      'CPU a / b (%)',
      'RSS a / b (MB)',
      'scrapes done / failed',
      'render p50 / p99 / max (ms)',
      'scraper CPU (%)',
    ]),
    row(Array(15).fill('---')),
    ...report.summary.map((s) =>
      row([
        s.setting,
        WINDOW_LABEL[s.kind] + (s.kind === 'stress' ? ` ${method.stressWorkers}` : ''),
        s.rounds,
        s.falseTakeovers,
        s.peerLost,
        `${s.loopStalls} (${s.sharedLoopStalls})`,
        `${s.witnessStalls} (${show(s.witnessMaxMs)})`,
        s.peerLostAfterMachineStall,
        `${show(s.lagP50Ms)} / ${show(s.lagP99Ms)} / ${show(s.lagMeanMs)}`,
        `${show(s.lagMaxMs)}; ${show(s.lagMaxOfAllMs)}`,
        `${show(s.cpuPercent.a)} / ${show(s.cpuPercent.b)}`,
        `${show(s.rssMb.a)} / ${show(s.rssMb.b)}`,
        s.scrapes ? `${s.scrapes.done} / ${s.scrapes.failed}` : '-',
        s.scrapes
          ? `${show(s.scrapes.renderP50Ms)} / ${show(s.scrapes.renderP99Ms)} / ${show(s.scrapes.renderMaxMs)}`
          : '-',
        show(s.cpuPercent.scraper),
      ]),
    ),
    '',
    `## Scraped / ${method.baseline} (medians)`,
    '',
    "The unscraped window is set against the baseline's idle one (nobody scrapes in either).",
    '',
    row(['setting', 'window', ...RATIO_MEASURES]),
    row(Array(RATIO_MEASURES.length + 2).fill('---')),
    ...ratioRows(report),
    '',
    '## Rounds',
    '',
    'How busy the machine was just before each round (other work: this benchmark ran nothing then), and its load.',
    '',
    row(['round', 'setting', 'other work (% CPU)', 'load average', 'error']),
    row(Array(5).fill('---')),
    ...report.rounds.map((r) =>
      row([r.round, r.setting, r.busyPercentBefore, r.loadAverage, r.error ? r.error.split('\n')[0]! : '']),
    ),
    '',
    '## Settings',
    '',
    ...report.settings.map(
      (s) =>
        `- \`${s.id}\`: ${label(s.id)} (${Object.entries(s.params)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')})`,
    ),
    '',
  ]
  return `${lines.join('\n')}\n`
}

const RATIO_MEASURES = ['lag mean', 'lag p99', 'lag max', 'CPU a', 'CPU b', 'RSS a', 'RSS b'] as const

function ratioRows(report: ScrapeReport): string[] {
  const keys = [...new Set(report.ratios.map((r) => `${r.setting}\u0000${r.kind}`))]
  return keys.map((k) => {
    const [setting, kind] = k.split('\u0000') as [string, keyof typeof WINDOW_LABEL]
    const value = (m: string) =>
      show(report.ratios.find((r) => r.setting === setting && r.kind === kind && r.measure === m)?.value, 'x')
    return row([setting, WINDOW_LABEL[kind], ...RATIO_MEASURES.map(value)])
  })
}
