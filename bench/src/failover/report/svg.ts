import { FAULTS } from '../faults.js'
import { quantile } from '../stats.js'
import { FAULT_LABEL, type Report } from './report.js'

const COLOR: Readonly<Record<string, string>> = { ipfo: '#1f6feb', keepalived: '#d9730d', ucarp: '#2f9e44' }
const WIDTH = 960
const LEFT = 250
const RIGHT = 30
const ROW = 30
const TOP = 50

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`)

/** The setting's label, and how many of its runs had no takeover. */
const rowLabel = (label: string, tookOver: number, runs: number) =>
  `${label}${tookOver < runs ? ` (${runs - tookOver} no takeover)` : ''}`

interface PlotRow {
  readonly label: string
  readonly system: string
  readonly values: readonly number[]
}

/**
 * A horizontal box-and-strip plot of the client-observed outage per setting, one panel per fault
 * (and per failover of the three-node runs), on a log scale (the settings span 30 ms to several seconds). Box: quartiles; line: median;
 * whiskers: min and max; dots: every run.
 */
export function renderSvg(report: Report): string {
  const label = (id: string) => report.settings.find((s) => s.id === id)?.label ?? id
  const panels = [
    ...FAULTS.map((fault) => ({
      title: FAULT_LABEL[fault],
      rows: report.results
        .filter((r) => r.fault === fault)
        .map<PlotRow>((r) => ({
          label: rowLabel(label(r.setting), r.tookOver, r.runs.length),
          system: r.system,
          values: r.runs.flatMap((run) => (run.outageMs === null ? [] : [run.outageMs])),
        })),
    })),
    ...(['first', 'second'] as const).map((which) => ({
      title: `three nodes, ${which === 'first' ? "first failover: a's death, b takes over" : "second failover: then b's, c takes over"}`,
      rows: (report.three ?? []).map<PlotRow>((r) => ({
        label: rowLabel(label(r.setting), r[which].tookOver, r.runs.length),
        system: r.system,
        values: r.runs.flatMap((run) => (run[which]?.outageMs == null ? [] : [run[which].outageMs])),
      })),
    })),
  ].filter((p) => p.rows.length > 0)
  const all = panels.flatMap((p) => p.rows.flatMap((r) => r.values)).filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 10)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 100)))
  const x = (v: number) =>
    LEFT + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * (WIDTH - LEFT - RIGHT)

  const parts: string[] = []
  let y = TOP
  for (const panel of panels) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(panel.title)}</text>`)
    y += 12
    const top = y
    y = top + panel.rows.length * ROW
    // Grid first, so the boxes and dots are drawn over it.
    parts.push(...axis(lo, hi, x, top, y))
    panel.rows.forEach((row, i) => {
      parts.push(...drawRow(row, top + i * ROW, x))
    })
    y += 50
  }
  const height = y
  const title = `Client-observed outage per failover, ${report.method.runs} runs each (log scale)`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(`${title}: ipfo, keepalived${report.three ? '' : ' and ucarp'}, ${report.date.slice(0, 10)}`)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

function drawRow(row: PlotRow, top: number, x: (v: number) => number): string[] {
  const mid = top + ROW / 2
  const color = COLOR[row.system] ?? '#555'
  const out = [`<text x="${LEFT - 8}" y="${mid + 4}" text-anchor="end">${esc(row.label)}</text>`]
  if (row.values.length === 0) return out
  const [min, q1, median, q3, max] = [0, 0.25, 0.5, 0.75, 1].map((q) => quantile(row.values, q)) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const px = (v: number) => x(v).toFixed(1)
  out.push(
    `<line x1="${px(min)}" x2="${px(max)}" y1="${mid}" y2="${mid}" stroke="${color}"/>`,
    `<line x1="${px(min)}" x2="${px(min)}" y1="${mid - 6}" y2="${mid + 6}" stroke="${color}"/>`,
    `<line x1="${px(max)}" x2="${px(max)}" y1="${mid - 6}" y2="${mid + 6}" stroke="${color}"/>`,
    `<rect x="${px(q1)}" y="${mid - 9}" width="${Math.max(1, x(q3) - x(q1)).toFixed(1)}" height="18" fill="${color}" fill-opacity="0.15" stroke="${color}"/>`,
    `<line x1="${px(median)}" x2="${px(median)}" y1="${mid - 9}" y2="${mid + 9}" stroke="${color}" stroke-width="2.5"/>`,
  )
  row.values.forEach((v, i) => {
    // A fixed spread instead of random jitter, so the same results give the same picture.
    const dy = ((i % 7) - 3) * 2.2
    out.push(
      `<circle cx="${px(v)}" cy="${(mid + dy).toFixed(1)}" r="2.2" fill="${color}" fill-opacity="0.7"/>`,
    )
  })
  out.push(
    `<text x="${(x(max) + 6).toFixed(1)}" y="${mid + 4}" fill="#444" font-size="10">${esc(`median ${fmt(Math.round(median))}`)}</text>`,
  )
  return out
}

function axis(lo: number, hi: number, x: (v: number) => number, top: number, bottom: number): string[] {
  const out = [`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`]
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m
      if (v > hi) break
      const px = x(v).toFixed(1)
      out.push(
        `<line x1="${px}" x2="${px}" y1="${top}" y2="${bottom}" stroke="#ddd" stroke-dasharray="${m === 1 ? '' : '2,3'}"/>`,
      )
      out.push(`<text x="${px}" y="${bottom + 16}" text-anchor="middle" fill="#333">${esc(fmt(v))}</text>`)
    }
  }
  return out
}
