import type { Config } from '../config/schema.js'
import type { Clock, HealthPort, TimerHandle } from '../model/ports.js'
import { type CheckState, initialCheckState, onCheckResult } from '../state-machine/check-state.js'
import type { EventBody } from '../state-machine/effects.js'
import type { Input } from '../state-machine/inputs.js'

/** One check as `ipfo status` shows it. */
export interface CheckStatus {
  name: string
  kind: string
  passing: boolean
  intervalMs: number
  /** The last run's result and how long ago it ended; null before the first. */
  last: { ok: boolean; detail: string; msAgo: number } | null
  /** How long ago the verdict last changed (or the check started). */
  sinceMsAgo: number
  runs: number
  failures: number
  /** The addresses that require it. */
  requiredBy: string[]
}

/**
 * Runs every configured health check on its interval through the HealthPort and keeps its verdict
 * (fall/rise, state-machine/check-state.ts). A run starts `interval` after the last one started, or
 * when it ends if it ran longer: runs of one check never overlap. When a verdict changes it is
 * reported (check-failed, check-recovered) and the machine is told which addresses now have failing
 * checks (`fitness`). Nothing here waits: a run is a promise the loop goes on without.
 */
export function checkRunner(deps: {
  readonly config: Config
  readonly clock: Clock
  readonly health: HealthPort
  readonly emit: (event: EventBody) => void
  readonly apply: (input: Input) => void
}) {
  const { config, clock, health } = deps
  const checks = Object.entries(config.checks)
  const states = new Map<string, CheckState>()
  const timers = new Map<string, TimerHandle>()
  const requiredBy = requirements(config)
  let running = false

  function schedule(name: string, inMs: number): void {
    timers.set(
      name,
      clock.setTimeout(() => void runOnce(name), Math.max(0, inMs)),
    )
  }

  async function runOnce(name: string): Promise<void> {
    const rule = config.checks[name]
    if (!running || !rule) return
    const started = clock.now()
    const result = await health.run(name)
    if (!running) return
    const now = clock.now()
    const before = states.get(name) ?? initialCheckState(rule, now)
    const { state, changed } = onCheckResult(rule, before, result, now)
    states.set(name, state)
    if (changed === 'failed') {
      deps.emit({ kind: 'check-failed', check: name, detail: result.detail, failures: state.failures })
    } else if (changed === 'recovered') {
      deps.emit({
        kind: 'check-recovered',
        check: name,
        detail: result.detail,
        failedForMs: now - before.since,
      })
    }
    if (changed) deps.apply({ kind: 'fitness', failing: failing() })
    schedule(name, started + rule.interval - now)
  }

  /** Per address, the failing checks it requires. */
  function failing(): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    for (const [name, state] of states) {
      if (state.passing) continue
      for (const ip of requiredBy.get(name) ?? []) out[ip] = [...(out[ip] ?? []), name]
    }
    return out
  }

  return {
    /** Runs every check now, and on its interval from then on; tells the machine the initial verdicts. */
    start(): void {
      if (running) return
      running = true
      const now = clock.now()
      for (const [name, rule] of checks) states.set(name, initialCheckState(rule, now))
      const initial = failing()
      if (Object.keys(initial).length > 0) deps.apply({ kind: 'fitness', failing: initial })
      for (const [name] of checks) schedule(name, 0)
    },
    async stop(): Promise<void> {
      running = false
      for (const timer of timers.values()) clock.clearTimeout(timer)
      timers.clear()
      await health.close?.()
    },
    status(): CheckStatus[] {
      const now = clock.now()
      return checks.map(([name, rule]) => {
        const s = states.get(name) ?? initialCheckState(rule, now)
        return {
          name,
          kind: rule.kind,
          passing: s.passing,
          intervalMs: rule.interval,
          last: s.last && { ok: s.last.ok, detail: s.last.detail, msAgo: now - s.last.at },
          sinceMsAgo: now - s.since,
          runs: s.runs,
          failures: s.failures,
          requiredBy: requiredBy.get(name) ?? [],
        }
      })
    },
  }
}

/** For each check, the addresses (own and taken over) that require it. */
function requirements(config: Config): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const all = [...config.owns, ...config.peers.flatMap((p) => p.takeover)]
  for (const a of all) for (const name of a.requires) out.set(name, [...(out.get(name) ?? []), a.ip])
  return out
}
