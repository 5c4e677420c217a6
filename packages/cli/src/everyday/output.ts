/**
 * Where an everyday command writes for a person. The oclif class passes its `log` (silent under
 * --json); the fast path in bin/run.js passes stdout. The command's return value is its --json output.
 */
export interface Output {
  /** --json is on: print nothing for people (the renderer need not even be loaded). */
  readonly json: boolean
  log(text: string): void
}
