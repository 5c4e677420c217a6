import type { Command } from '@oclif/core'

interface Verdict {
  readonly check: string
  readonly verdict: 'pass' | 'warn' | 'fail'
  readonly detail: string
  readonly hint?: string | undefined
}

/** Prints a verdict per line with the hint under each one that did not pass, then a closing line. */
export function printVerdicts(
  command: Pick<Command, 'log'>,
  results: readonly Verdict[],
  closing: string,
): void {
  const mark = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' }
  const width = Math.max(...results.map((r) => r.check.length)) + 2
  for (const r of results) {
    command.log(`${mark[r.verdict]}  ${r.check.padEnd(width)}${r.detail}`)
    if (r.hint && r.verdict !== 'pass') command.log(`      ${''.padEnd(width)}-> ${r.hint}`)
  }
  command.log(`\n${closing}`)
}
