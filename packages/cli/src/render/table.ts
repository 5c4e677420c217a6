import { visibleText } from './style.js'

export interface TableOptions {
  /** Put before every line. */
  readonly indent?: string
  /** Spaces between columns; 2 unless told. */
  readonly gap?: number
}

/**
 * Aligned columns without borders, so the output still reads well in a log or through grep. Widths
 * are measured on the visible text, so styled cells line up; the last column is not padded, so no
 * line ends in spaces. Rows may have fewer cells than others.
 */
export function renderTable(rows: readonly (readonly string[])[], opts: TableOptions = {}): string[] {
  const gap = ' '.repeat(opts.gap ?? 2)
  const indent = opts.indent ?? ''
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleText(cell).length)
    })
  }
  return rows.map((row) => {
    const cells = row.map((cell, i) =>
      i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleText(cell).length),
    )
    return `${indent}${cells.join(gap)}`.trimEnd()
  })
}
