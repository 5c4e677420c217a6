import type { Summary } from '../stats.js'
import type { Report } from './report.js'

/** A figure or "-" for none. */
export const ms = (v: number | null | undefined): string => (v == null ? '-' : `${v}`)
export const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`
export const header = (cells: readonly string[]): string[] => [row(cells), row(cells.map(() => '---'))]
/** min, median, p95, max as four cells. */
export const spread = (s: Summary | undefined): (string | number)[] =>
  s ? [s.min, s.median, s.p95, s.max] : ['-', '-', '-', '-']
/** A setting's label by its id (the id itself when unknown). */
export const labelOf =
  (report: Pick<Report, 'settings'>) =>
  (id: string): string =>
    report.settings.find((s) => s.id === id)?.label ?? id
