/**
 * A strip plot of measured outages, one row per setting, on a log scale (a 10 ms setting and a
 * 3 s default share one picture): a dot per run and a bar at the median. Written at build time from
 * the latest bench/results/engine-failover-*.json, so the performance page shows what was measured.
 */
export interface OutageRow {
  readonly label: string
  readonly outagesMs: readonly number[]
}

const WIDTH = 720
const LEFT = 150
const RIGHT = 20
const ROW = 34
const TOP = 20
const BOTTOM = 40

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function outagePlot(rows: readonly OutageRow[], title: string): string {
  const all = rows.flatMap((r) => r.outagesMs).filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)))
  const x = (ms: number) =>
    LEFT + ((Math.log10(ms) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (WIDTH - LEFT - RIGHT)
  const height = TOP + rows.length * ROW + BOTTOM
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
  ]
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m
      if (v > hi) break
      const px = x(v).toFixed(1)
      parts.push(`<line x1="${px}" x2="${px}" y1="${TOP - 5}" y2="${height - BOTTOM}" stroke="#ddd"/>`)
      parts.push(
        `<text x="${px}" y="${height - BOTTOM + 16}" text-anchor="middle" fill="#555">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`,
      )
    }
  }
  parts.push(
    `<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${height - 8}" text-anchor="middle" fill="#333">client-observed outage (log scale)</text>`,
  )
  rows.forEach((row, i) => {
    const cy = TOP + i * ROW + ROW / 2
    parts.push(
      `<text x="${LEFT - 10}" y="${cy + 4}" text-anchor="end" fill="#222">${escapeXml(row.label)}</text>`,
    )
    row.outagesMs.forEach((v, j) => {
      const jitter = ((j % 5) - 2) * 2.5
      parts.push(
        `<circle cx="${x(v).toFixed(1)}" cy="${(cy + jitter).toFixed(1)}" r="3.5" fill="#3c6fd1" fill-opacity="0.55"/>`,
      )
    })
    const sorted = [...row.outagesMs].sort((a, b) => a - b)
    const mid =
      sorted.length % 2
        ? sorted[(sorted.length - 1) / 2]!
        : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
    const mx = x(mid).toFixed(1)
    parts.push(
      `<line x1="${mx}" x2="${mx}" y1="${cy - 11}" y2="${cy + 11}" stroke="#c0392b" stroke-width="2.5"><title>median ${mid} ms</title></line>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
