import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Dashboard } from '@ipfo/testkit'

/**
 * A page that draws a Grafana dashboard's panels (their titles, grid places, units and legends)
 * from data already queried, with uPlot: a stand-in for a screenshot of Grafana, which cannot be
 * installed here. It says so in its caption. A panel's note (why it has no data) is written on it.
 * The page loads nothing: uPlot is inlined.
 */
export interface PanelData {
  readonly id: number
  /** One per series: its legend and its points (seconds, value or null for NaN or a gap). */
  readonly series: readonly { label: string; points: readonly [number, number | null][] }[]
  /** Said on the panel, e.g. why it has no data. */
  readonly note?: string
}

export const CAPTION =
  'Preview rendered from ipfo-dashboard.json (its panels, queries, units and legends) by a small uPlot page, ' +
  'with data from a live Prometheus 2.42 scraping two real ipfo agents (on loopback, simulated addresses) ' +
  'through a failover and a failback. Not Grafana.'

const require = createRequire(import.meta.url)
const UPLOT_CSS = require.resolve('uplot/dist/uPlot.min.css')
const UPLOT_JS = require.resolve('uplot/dist/uPlot.iife.min.js')

/** `{{peer}} via {{link}}` with a series' labels, as Grafana writes a legend. */
export function legend(format: string | undefined, labels: Record<string, string>): string {
  if (!format) return `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`)}}`
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '')
}

/**
 * The page. `range` is the dashboard's time range (unix seconds), the same on every panel, as in
 * Grafana; times are drawn in the browser's time zone.
 */
export function previewPage(
  dashboard: Dashboard,
  data: readonly PanelData[],
  subtitle: string,
  range: { readonly from: number; readonly to: number },
): string {
  const panels = dashboard.panels.map((p) => ({
    id: p.id,
    type: p.type,
    title: p.title,
    unit: p.fieldConfig?.defaults?.unit ?? 'short',
    grid: p.gridPos,
    series: data.find((d) => d.id === p.id)?.series ?? [],
    note: data.find((d) => d.id === p.id)?.note ?? '',
  }))
  // JSON in a script element: `<` escaped so no text can close it.
  const json = JSON.stringify(panels).replaceAll('<', '\\u003c')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${htmlText(dashboard.title)} (preview)</title>
<style>${readFileSync(UPLOT_CSS, 'utf8')}
body { margin: 0; padding: 12px; background: #111217; color: #ccccdc; font: 13px/1.4 system-ui, sans-serif; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header p { margin: 0 0 4px; color: #9fa7b3; }
.caption { color: #f2cc0c; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(24, 1fr); grid-auto-rows: 30px; gap: 8px; margin-top: 10px; }
.row { font-weight: 600; font-size: 15px; align-self: end; border-bottom: 1px solid #2c3235; }
.panel { background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; padding: 4px 8px; overflow: hidden; display: flex; flex-direction: column; }
.panel h2 { font-size: 13px; margin: 0 0 2px; font-weight: 500; }
.chart { flex: 1; min-height: 0; position: relative; }
.note { position: absolute; inset: 30% 8% auto 8%; text-align: center; color: #9fa7b3; font-style: italic; z-index: 1; }
.legend { font-size: 11px; max-height: 4.5em; overflow: hidden; }
.legend span { display: inline-block; margin-right: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 3px; margin-right: 4px; vertical-align: middle; }
</style></head><body>
<header><h1>${htmlText(dashboard.title)}</h1><p class="caption">${htmlText(CAPTION)}</p><p>${htmlText(subtitle)}</p></header>
<div class="grid" id="grid"></div>
<script>${readFileSync(UPLOT_JS, 'utf8')}</script>
<script>
const PANELS = ${json};
const RANGE = [${range.from}, ${range.to}];
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#96d98d', '#ffb357'];
function format(unit, v) {
  if (v == null || !isFinite(v)) return '';
  const a = Math.abs(v);
  if (unit === 's') return a === 0 ? '0' : a < 1 ? +(v * 1000).toPrecision(3) + ' ms' : +v.toPrecision(3) + ' s';
  if (unit === 'bytes') return +(v / 1048576).toPrecision(3) + ' MiB';
  if (unit === 'percentunit') return +(v * 100).toPrecision(3) + '%';
  if (unit === 'reqps') return +v.toPrecision(3) + '/s';
  return String(+v.toPrecision(3));
}
const grid = document.getElementById('grid');
let drawn = 0;
const withData = [], empty = [];
for (const p of PANELS) {
  const el = document.createElement('div');
  el.style.gridColumn = (p.grid.x + 1) + ' / span ' + p.grid.w;
  el.style.gridRow = (p.grid.y + 1) + ' / span ' + p.grid.h;
  grid.appendChild(el);
  if (p.type === 'row') { el.className = 'row'; el.textContent = p.title; continue; }
  el.className = 'panel';
  el.dataset.panel = p.title;
  const h2 = document.createElement('h2'); h2.textContent = p.title; el.appendChild(h2);
  const chart = document.createElement('div'); chart.className = 'chart'; el.appendChild(chart);
  const key = document.createElement('div'); key.className = 'legend'; el.appendChild(key);
  p.series.forEach((s, i) => {
    const item = document.createElement('span');
    const mark = document.createElement('i'); mark.style.background = COLORS[i % COLORS.length];
    item.append(mark, s.label); key.appendChild(item);
  });
  const xs = [...new Set(p.series.flatMap((s) => s.points.map((pt) => pt[0])))].sort((a, b) => a - b);
  const ys = p.series.map((s) => { const m = new Map(s.points); return xs.map((x) => m.has(x) ? m.get(x) : null); });
  const opts = {
    width: chart.clientWidth, height: chart.clientHeight,
    scales: { x: { time: true, range: () => RANGE } },
    series: [{}, ...p.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false, value: (u, v) => format(p.unit, v) }))],
    axes: [
      { stroke: '#9fa7b3', grid: { stroke: '#2c3235' }, ticks: { stroke: '#2c3235' } },
      { stroke: '#9fa7b3', grid: { stroke: '#2c3235' }, ticks: { stroke: '#2c3235' }, size: 76, values: (u, splits) => splits.map((v) => format(p.unit, v)) },
    ],
    legend: { show: false },
    cursor: { show: false },
  };
  new uPlot(opts, [xs, ...ys], chart);
  if (p.note) { const note = document.createElement('div'); note.className = 'note'; note.textContent = p.note; chart.appendChild(note); }
  drawn++;
  (ys.some((y) => y.some((v) => v != null)) ? withData : empty).push(p.title);
  el.dataset.series = String(p.series.length);
}
window.__preview = { drawn, withData, empty };
</script></body></html>`
}

function htmlText(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
}
