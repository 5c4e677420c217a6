import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Schedule } from './schedule.js'
import type { InvariantName } from './violation.js'

/** Where every schedule the simulator ever found is kept: the test suite replays each one. */
export const REGRESSIONS_DIR = fileURLToPath(new URL('./regressions/', import.meta.url))

export interface Regression {
  readonly invariant: InvariantName
  readonly message: string
  /**
   * `open`: the engine still breaks the invariant on it (the test expects the violation, so the
   * replay stays exact until someone fixes it, then flips this to `fixed`). `fixed`: it must pass.
   */
  readonly status: 'open' | 'fixed'
  /** What the schedule shows, in words. */
  readonly note: string
  /** The command that found it. */
  readonly foundWith: string
  readonly schedule: Schedule
}

export function loadRegressions(dir = REGRESSIONS_DIR): { file: string; regression: Regression }[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
  return files.sort().map((file) => ({
    file,
    regression: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Regression,
  }))
}

/** Saves a found schedule as `<invariant>-<mode>-<seed>.json`; returns its path. */
export function saveRegression(regression: Regression, dir = REGRESSIONS_DIR): string {
  mkdirSync(dir, { recursive: true })
  const s = regression.schedule
  const path = join(dir, `${regression.invariant}-${s.mode}-${s.seed}.json`)
  writeFileSync(path, `${JSON.stringify(regression, null, 2)}\n`)
  return path
}
