import { quantile } from '../failover/stats.js'
import type { IdleWindow } from './measure-idle.js'
import type { ProcessCost } from './process-cost.js'

export interface IdleReport {
  readonly date: string
  readonly host: { readonly cores: number; readonly node: string }
  readonly seconds: number
  readonly windows: readonly IdleWindow[]
}

/** The targets (issue 23): per node, at 10 ms and at 1 s. */
export const IDLE_TARGETS = {
  'ipfo-10ms': { cpuPercent: 1.5, rssMb: 60 },
  'ipfo-default': { cpuPercent: 0.1 },
} as const satisfies Record<string, { cpuPercent: number; rssMb?: number }>

const median = (xs: readonly number[]) => Math.round(quantile(xs, 0.5) * 100) / 100
const sum = (costs: readonly ProcessCost[], key: 'cpuPercent' | 'rssMb' | 'pssMb') =>
  costs.reduce((n, c) => n + c[key], 0)

/** One setting's medians over its windows: per node, and per process role on each node. */
export function summarizeSetting(windows: readonly IdleWindow[]) {
  const nodes = Object.keys(windows[0]?.nodes ?? {})
  const perNode = nodes.map((node) => {
    const costs = windows.map((w) => w.nodes[node] ?? [])
    const roles = [...new Set(costs.flatMap((c) => c.map((p) => p.role)))]
    return {
      node,
      cpuPercent: median(costs.map((c) => sum(c, 'cpuPercent'))),
      rssMb: median(costs.map((c) => sum(c, 'rssMb'))),
      pssMb: median(costs.map((c) => sum(c, 'pssMb'))),
      processes: median(costs.map((c) => c.length)),
      roles: roles.map((role) => {
        const of = costs.map((c) => c.filter((p) => p.role === role))
        return {
          role,
          cpuPercent: median(of.map((c) => sum(c, 'cpuPercent'))),
          rssMb: median(of.map((c) => sum(c, 'rssMb'))),
          pssMb: median(of.map((c) => sum(c, 'pssMb'))),
        }
      }),
    }
  })
  const floor = {
    cpuPercent: median(windows.map((w) => w.floor.cpuPercent)),
    rssMb: median(windows.map((w) => w.floor.rssMb)),
    pssMb: median(windows.map((w) => w.floor.pssMb)),
  }
  const heartbeatFloor = {
    cpuPercent: median(windows.map((w) => w.heartbeatFloor.cpuPercent)),
    rssMb: median(windows.map((w) => w.heartbeatFloor.rssMb)),
  }
  const heartbeatFloorMs = windows[0]?.heartbeatFloorMs ?? 10
  return { perNode, floor, heartbeatFloor, heartbeatFloorMs, windows: windows.length }
}

export function renderIdleMarkdown(report: IdleReport): string {
  const settings = [...new Set(report.windows.map((w) => w.setting))]
  const out: string[] = [
    `# Idle cost, ${report.date.slice(0, 10)}`,
    '',
    `${report.host.cores} cores, Node ${report.host.node}. Each window: a fresh pair in network namespaces, a holding`,
    `the VIP, no probes, no fault, ${report.seconds} s after the pair settled. CPU in % of one core`,
    '(utime+stime of every process of the daemon, with reaped children), RSS and PSS from',
    "`/proc/<pid>/smaps_rollup` at the window's end, summed over the daemon's processes (ipfo: the",
    'agent, its guard and its helpers). Beside every window, the Node floor:',
    '`node -e "setInterval(() => {}, 1000)"`, and the heartbeat floor: two bare Node loops on',
    'loopback (`src/idle/heartbeat-floor.js`) sending each other a 200-byte HMAC-SHA256 packet on each',
    'of two sockets every 10 ms (beside a setting under 10 ms: at its interval, in the column "floor ms")',
    'and checking every one they get (one of the two measured), the least any Node agent pays for the',
    'traffic of a pair with two links at that interval. Medians over the windows.',
    '',
    '| setting | windows | node | CPU % | RSS MB | PSS MB | processes | floor CPU % | floor RSS MB | heartbeat floor CPU % | heartbeat floor RSS MB | floor ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const id of settings) {
    const s = summarizeSetting(report.windows.filter((w) => w.setting === id))
    for (const n of s.perNode)
      out.push(
        `| ${id} | ${s.windows} | ${n.node} | ${n.cpuPercent} | ${n.rssMb} | ${n.pssMb} | ${n.processes} | ${s.floor.cpuPercent} | ${s.floor.rssMb} | ${s.heartbeatFloor.cpuPercent} | ${s.heartbeatFloor.rssMb} | ${s.heartbeatFloorMs} |`,
      )
  }
  out.push(
    '',
    '## Per process (node a)',
    '',
    '| setting | process | CPU % | RSS MB | PSS MB |',
    '| --- | --- | --- | --- | --- |',
  )
  for (const id of settings) {
    const a = summarizeSetting(report.windows.filter((w) => w.setting === id)).perNode[0]
    for (const r of a?.roles ?? [])
      out.push(`| ${id} | ${r.role} | ${r.cpuPercent} | ${r.rssMb} | ${r.pssMb} |`)
  }
  out.push('', '## Targets (issue 23)', '')
  for (const [id, target] of Object.entries(IDLE_TARGETS)) {
    if (!settings.includes(id)) continue
    const s = summarizeSetting(report.windows.filter((w) => w.setting === id))
    const worstCpu = Math.max(...s.perNode.map((n) => n.cpuPercent))
    const worstRss = Math.max(...s.perNode.map((n) => n.rssMb))
    const cpuMet = worstCpu <= target.cpuPercent
    out.push(
      `- ${cpuMet ? 'met' : 'missed'}: ${id} CPU per node at most ${target.cpuPercent} %: ${worstCpu} %`,
    )
    if ('rssMb' in target) {
      const rssMet = worstRss <= target.rssMb
      out.push(
        `- ${rssMet ? 'met' : 'missed'}: ${id} RSS per node at most ${target.rssMb} MB: ${worstRss} MB`,
      )
    }
  }
  return `${out.join('\n')}\n`
}
