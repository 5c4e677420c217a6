import type { HookStage } from './hook-contract.js'

/**
 * IPFO_RESULTS_FILE, one JSON object a line: what each hook of a checklist did so far. The agent
 * appends a line with `resultLine` after each hook; later hooks (the stdlib's email, for one) read
 * them back with `parseResultLines`. The one home of that line format.
 */
export interface HookResultLine {
  readonly phase: HookStage
  readonly script: string
  /** `<ip>/<prefix>` of the folder's address. */
  readonly address: string
  readonly exitCode?: number | null
  readonly signal?: string | null
  readonly timedOut?: boolean
  readonly durationMs?: number
  readonly stdout?: string
  readonly stderr?: string
  /** Why the agent refused to run the hook (unsafe owner or mode), and how to fix it. */
  readonly refused?: string
  readonly fix?: string
}

/** An earlier hook's result, as a later hook reads it. */
export interface RecordedHookResult {
  readonly phase: string | undefined
  readonly script: string
  readonly exitCode: number | null
  readonly signal: string | null
  readonly durationMs: number | undefined
  readonly timedOut: boolean
}

/** One line of the results file, newline included. */
export function resultLine(entry: HookResultLine): string {
  return `${JSON.stringify(entry)}\n`
}

/**
 * The results in a results file's text. A torn line (an agent killed mid-append) or one without a
 * script is skipped: a hook should still run when an earlier line is damaged.
 */
export function parseResultLines(text: string): RecordedHookResult[] {
  const results: RecordedHookResult[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }
    if (typeof value !== 'object' || value === null) continue
    const v = value as Record<string, unknown>
    if (typeof v.script !== 'string') continue
    results.push({
      phase: typeof v.phase === 'string' ? v.phase : undefined,
      script: v.script,
      exitCode: typeof v.exitCode === 'number' ? v.exitCode : null,
      signal: typeof v.signal === 'string' ? v.signal : null,
      durationMs: typeof v.durationMs === 'number' ? v.durationMs : undefined,
      timedOut: v.timedOut === true,
    })
  }
  return results
}
