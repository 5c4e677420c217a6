import type { Style } from './style.js'
import { renderTable } from './table.js'

/** One checked thing: the shape of `ipfo doctor`'s and `ipfo afp check`'s results. */
export interface Verdict {
  readonly check: string
  readonly verdict: 'pass' | 'warn' | 'fail'
  readonly detail: string
  readonly hint?: string | undefined
}

const MARK = { pass: 'ok', warn: 'WARN', fail: 'FAIL' } as const

/**
 * A verdict per line (mark, check, detail) in aligned columns; under anything not passing, its hint
 * after "->", aligned with the details. With colour: green ok, yellow WARN, red FAIL, hints in cyan.
 */
export function renderVerdicts(results: readonly Verdict[], style: Style): string {
  const paint = { pass: style.green, warn: style.yellow, fail: (t: string) => style.bold(style.red(t)) }
  const rows = results.map((r) => [paint[r.verdict](MARK[r.verdict]), r.check, r.detail])
  const lines = renderTable(rows)
  // The hint column starts where the details do: mark and check widths, plus two gaps of 2.
  const markWidth = Math.max(0, ...results.map((r) => MARK[r.verdict].length))
  const checkWidth = Math.max(0, ...results.map((r) => r.check.length))
  const pad = ' '.repeat(markWidth + checkWidth + 4)
  return results
    .flatMap((r, i) =>
      r.hint && r.verdict !== 'pass' ? [lines[i]!, `${pad}${style.cyan(`-> ${r.hint}`)}`] : [lines[i]!],
    )
    .join('\n')
}

/** "12 passed, 1 warning, 1 failed": the line under the table. */
export function summarizeVerdicts(results: readonly Verdict[], style: Style): string {
  const count = (v: Verdict['verdict']) => results.filter((r) => r.verdict === v).length
  const [passed, warned, failed] = [count('pass'), count('warn'), count('fail')]
  const parts = [
    style.green(`${passed} passed`),
    ...(warned ? [style.yellow(`${warned} warning${warned === 1 ? '' : 's'}`)] : []),
    ...(failed ? [style.bold(style.red(`${failed} failed`))] : []),
  ]
  return parts.join(', ')
}
