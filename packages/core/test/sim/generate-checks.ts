import { Prng } from './prng.js'
import type { CheckSetup, Fault, Setup } from './schedule.js'

/**
 * Health checks for a generated scenario (issue 19), from their own stream of the seed, so the rest
 * of the schedule is the one the seed made before checks existed: the check's settings and the
 * service's faults (deaths, returns, flapping, slow runs). `force`: checks or not whatever the seed
 * says (undefined: half the scenarios have them, so the behaviour without checks stays covered).
 */
export function withChecks(
  seed: number,
  setup: Setup,
  horizonMs: number,
  others: readonly Fault[],
  force: boolean | undefined,
): { setup: Setup; faults: Fault[] } {
  const rng = new Prng(`checks:${seed}`)
  const drawn = rng.chance(0.5)
  if (!(force ?? drawn)) return { setup, faults: [] }
  const checks = checkSetup(rng)
  const faults = Array.from({ length: rng.int(1, 4) }, () => fault(rng, setup, checks, horizonMs, others))
  return { setup: { ...setup, checks }, faults }
}

function checkSetup(rng: Prng): CheckSetup {
  const intervalMs = rng.pick([50, 100, 100, 250, 1_000])
  const timeoutMs = Math.max(1, Math.round(intervalMs * rng.pick([1, 1, 0.8, 0.5])))
  return {
    intervalMs,
    timeoutMs,
    fall: rng.int(1, 3),
    rise: rng.int(1, 3),
    initial: rng.chance(0.15) ? 'failing' : 'passing',
    onAllUnfit: rng.chance(0.35) ? 'release' : 'keep',
    runMs: Math.min(timeoutMs, rng.pick([0, 1, 2, 5, 10])),
  }
}

const KINDS = ['service', 'service', 'service', 'service', 'flap', 'flap', 'slow-check'] as const

function fault(rng: Prng, setup: Setup, c: CheckSetup, horizonMs: number, others: readonly Fault[]): Fault {
  const t = setup.timers
  const kind = rng.pick(KINDS)
  // The first node's service more often (it owns an address): its death is what moves an address.
  const ids = setup.nodes.map((n) => n.id)
  const node = rng.chance(0.6) ? (ids[0] as string) : rng.pick(ids)
  let at = Math.round(rng.between(0, horizonMs * 0.8))
  // Often over another fault (a takeover, a heal, a failback), where the two rules meet.
  if (others.length > 0 && rng.chance(0.4)) {
    const cause = rng.pick(others)
    const edge = 'until' in cause && cause.until !== undefined && rng.chance(0.5) ? cause.until : cause.at
    at = Math.max(0, edge + rng.int(-t.deadAfterMs, 2 * t.deadAfterMs))
  }
  const verdictMs = Math.max(c.fall, c.rise) * c.intervalMs
  const x = rng.next()
  // Short blips near the verdict's threshold, outages past detection, and ones past a failback.
  const dur =
    x < 0.35
      ? verdictMs * rng.between(0.3, 3)
      : x < 0.75
        ? t.deadAfterMs * rng.between(1, 10)
        : (t.stableForMs + 2 * t.deadAfterMs) * rng.between(0.5, 1.5)
  const until = at + Math.max(1, Math.round(dur))
  switch (kind) {
    case 'service':
      return { kind, at, ...(rng.chance(0.85) ? { until } : {}), node }
    case 'flap': {
      const periodMs = Math.max(1, Math.round(c.intervalMs * rng.between(0.4, 4)))
      return { kind, at, until: at + periodMs * rng.int(3, 30), node, periodMs }
    }
    case 'slow-check': {
      const runMs = Math.max(1, Math.round(rng.between(0.5 * c.timeoutMs, 2.5 * c.intervalMs)))
      return { kind, at, until, node, runMs }
    }
  }
}
