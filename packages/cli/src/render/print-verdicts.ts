import type { Command } from '@oclif/core/command'
import { styleFor } from './style.js'
import { renderVerdicts, type Verdict } from './verdicts.js'

/**
 * Prints a verdict per line with the hint under each one that did not pass, then a closing line:
 * renderVerdicts() in the colours of stdout (none when piped or with NO_COLOR).
 */
export function printVerdicts(
  command: Pick<Command, 'log'>,
  results: readonly Verdict[],
  closing: string,
): void {
  command.log(`${renderVerdicts(results, styleFor(process.stdout, process.env))}\n\n${closing}`)
}
