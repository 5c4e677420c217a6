import type { HookPhase } from '../../src/model/hook-contract.js'
import { withChecks } from './generate-checks.js'
import { Prng } from './prng.js'
import type { Fault, LinkName, NodeSetup, Schedule, Setup, TimerMode, Timers } from './schedule.js'

export interface GenerateOptions {
  /** Absent: the seed picks, half and half. */
  readonly mode?: TimerMode | undefined
  /** The longest simulated run, ms. */
  readonly maxSimMs?: number | undefined
  /** The most heartbeat intervals in a run: keeps fast-interval scenarios short (the unit test's). */
  readonly maxBeats?: number | undefined
  /** claimTimeout near stableFor, past the config schema (the planted-bug check of issue 16). */
  readonly bypassSchema?: boolean | undefined
  /** Health checks in every scenario (true) or none (false); absent: the seed picks, half and half. */
  readonly checks?: boolean | undefined
  /**
   * How many nodes: `pair` (every scenario two nodes, as before issue 20), a number from 3 to 5, or
   * `many` (3 to 5, the seed picks); absent: the seed picks, a pair in most scenarios (see `clusterOf`).
   */
  readonly nodes?: NodeCount | undefined
}

export type NodeCount = 'pair' | 'many' | 3 | 4 | 5

/** The share of scenarios with three to five nodes when the seed picks. */
const MANY_SHARE = 0.3

const PHASES: readonly HookPhase[] = ['PreAcq', 'PostAcq', 'PreRel', 'PostRel']

/**
 * A random scenario from a seed: a pair of nodes (one watching the other, or mutual backup) or three
 * to five with an order of takers per owner, its timers (the shipped defaults or random ratios),
 * latencies, and a handful of faults at random times. The same seed and options always give the
 * same schedule.
 */
/**
 * Bumped whenever a seed would make a different schedule than before. 4: three to five nodes in a
 * share of the seeds (drawn from their own stream: a seed that makes a pair makes the pair of 3).
 */
export const GENERATOR = 4

export function generate(seed: number, opts: GenerateOptions = {}): Schedule {
  const rng = new Prng(`generate:${seed}`)
  // Drawn even when the mode is given, so a seed makes the same schedule with or without the flag.
  const picked: TimerMode = rng.chance(0.5) ? 'defaults' : 'random'
  const mode = opts.mode ?? picked
  const timers = mode === 'defaults' ? defaultTimers(rng) : randomTimers(rng, opts.bypassSchema ?? false)
  const links: LinkName[] = rng.chance(0.7) ? ['private', 'public'] : ['public']
  const drawnPair = pair(rng, timers)
  const nodes = clusterOf(seed, timers, opts.nodes) ?? drawnPair
  const setup: Setup = {
    nodes,
    links,
    timers,
    latency: {
      delayMs: round(mode === 'defaults' ? rng.between(0, 5) : rng.between(0, timers.intervalMs * 0.1)),
      jitterMs: round(rng.between(0, timers.intervalMs * 0.2)),
      addressMs: rng.int(0, 5),
      journalMs: rng.int(0, 10),
      hookMs: hookLatencies(rng, timers),
    },
  }
  const claim = timers.claimTimeoutMs ?? Math.max(30_000, timers.stableForMs + 2 * timers.deadAfterMs)
  const base = mode === 'defaults' ? rng.int(120_000, 240_000) : timers.deadAfterMs * rng.int(40, 120)
  const horizonMs = Math.min(
    opts.maxSimMs ?? Number.POSITIVE_INFINITY,
    (opts.maxBeats ?? Number.POSITIVE_INFINITY) * timers.intervalMs,
    Math.max(base, Math.round(2.5 * (timers.stableForMs + claim))),
  )
  const drawn = Array.from({ length: rng.int(1, 8) }, () => fault(rng, setup, horizonMs)).filter(
    (f): f is Fault => f !== undefined,
  )
  const placed = anchored(rng, drawn, timers, nodes)
  const health = withChecks(seed, setup, horizonMs, placed, opts.checks)
  const faults = [...placed, ...health.faults].sort((x, y) => x.at - y.at)
  return { version: 1, generator: GENERATOR, seed, mode, horizonMs, setup: health.setup, faults }
}

function defaultTimers(rng: Prng): Timers {
  return {
    intervalMs: 1_000,
    deadAfterMs: 3_000,
    policy: policy(rng),
    stableForMs: 30_000,
    carrierSettleMs: 2_000,
    announceCount: 3,
    announceIntervalMs: 100,
    onStop: rng.chance(0.85) ? 'release' : 'keep',
    onCarrierLoss: rng.chance(0.85) ? 'release' : 'ignore',
    arbitration: rng.chance(0.25),
    arbitrationTimeoutMs: 300,
  }
}

function randomTimers(rng: Prng, bypassSchema: boolean): Timers {
  const intervalMs = Math.max(10, round(rng.logBetween(10, 1_000)))
  const deadAfterMs = round(intervalMs * rng.between(2, 8))
  const stableForMs = round(deadAfterMs * rng.between(0.5, 8))
  const p = policy(rng)
  const least = p === 'stable' ? stableForMs + 2 * deadAfterMs : 2 * deadAfterMs
  const claimTimeoutMs = bypassSchema
    ? Math.max(deadAfterMs, round(stableForMs + deadAfterMs * rng.between(-1, 2)))
    : round(least + deadAfterMs * rng.between(0, 4))
  return {
    intervalMs,
    deadAfterMs,
    policy: p,
    stableForMs,
    claimTimeoutMs,
    ...(bypassSchema ? { bypassSchema: true } : {}),
    carrierSettleMs: round(deadAfterMs * rng.between(0.5, 3)),
    announceCount: rng.int(0, 5),
    announceIntervalMs: Math.max(1, round(rng.between(5, intervalMs))),
    onStop: rng.chance(0.85) ? 'release' : 'keep',
    onCarrierLoss: rng.chance(0.85) ? 'release' : 'ignore',
    arbitration: rng.chance(0.25),
    arbitrationTimeoutMs: round(rng.between(10, 300)),
  }
}

function policy(rng: Prng): Timers['policy'] {
  const x = rng.next()
  return x < 0.4 ? 'auto' : x < 0.75 ? 'stable' : 'manual'
}

/** Two nodes: a owns one or two addresses and b watches a; or mutual backup, each watching the other. */
function pair(rng: Prng, timers: Timers): NodeSetup[] {
  const mutual = rng.chance(0.5)
  const aOwns = rng.chance(0.7) ? ['10.0.0.100/24'] : ['10.0.0.100/24', '10.0.0.101/24']
  const node = (id: string, owns: string[], watches: string[]): NodeSetup => ({
    id,
    owns,
    watches,
    clockRate: rng.chance(0.5) ? 1 : 1 + round(rng.between(-0.01, 0.01) * 1e5) / 1e5,
    wallOffsetMs: rng.int(-5_000, 5_000),
    startAt: rng.chance(0.5) ? 0 : rng.int(0, 2 * timers.deadAfterMs),
  })
  return [node('a', aOwns, mutual ? ['b'] : []), node('b', mutual ? ['10.0.0.110/24'] : [], ['a'])]
}

/**
 * Three to five nodes (issue 20), from the seed's own stream so that the other draws are the ones a
 * pair makes; undefined: a pair. Each node owns one or two addresses or nothing (a spare), at least
 * one owns; each owner's order lists one taker or more of the others, in a random order. Every
 * node's config lists every other as a peer (node-config.ts).
 */
function clusterOf(seed: number, timers: Timers, count: NodeCount | undefined): NodeSetup[] | undefined {
  const rng = new Prng(`cluster:${seed}`)
  const drawn = rng.chance(MANY_SHARE)
  const size = rng.int(3, 5)
  const n = count === undefined ? (drawn ? size : 2) : count === 'pair' ? 2 : count === 'many' ? size : count
  if (n <= 2) return undefined
  const ids = ['a', 'b', 'c', 'd', 'e'].slice(0, n)
  const owns = ids.map((_, i) => {
    if (i > 0 && rng.chance(0.3)) return []
    const base = `10.0.0.${100 + 10 * i}`
    return rng.chance(0.75) ? [`${base}/24`] : [`${base}/24`, `10.0.0.${101 + 10 * i}/24`]
  })
  const takers = ids.map((id, i) => {
    if (owns[i]!.length === 0) return undefined
    const others = shuffle(
      rng,
      ids.filter((x) => x !== id),
    )
    // Mostly two takers or more: the order is what is new.
    const k = rng.chance(0.15) ? 1 : rng.int(2, others.length)
    return others.slice(0, k)
  })
  return ids.map((id, i) => ({
    id,
    owns: owns[i]!,
    ...(takers[i] ? { takers: takers[i] } : {}),
    watches: ids.filter((_, j) => takers[j]?.includes(id)),
    clockRate: rng.chance(0.5) ? 1 : 1 + round(rng.between(-0.01, 0.01) * 1e5) / 1e5,
    wallOffsetMs: rng.int(-5_000, 5_000),
    startAt: rng.chance(0.5) ? 0 : rng.int(0, 2 * timers.deadAfterMs),
  }))
}

function shuffle<T>(rng: Prng, xs: readonly T[]): T[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

function hookLatencies(rng: Prng, timers: Timers): Setup['latency']['hookMs'] {
  const one = () => (rng.chance(0.5) ? 0 : round(rng.logBetween(1, 2 * timers.deadAfterMs)))
  if (rng.chance(0.4)) return { Test: 0, PreAcq: 0, PostAcq: 0, PreRel: 0, PostRel: 0 }
  return { Test: one(), PreAcq: one(), PostAcq: one(), PreRel: one(), PostRel: one() }
}

const KINDS: readonly [Fault['kind'], number][] = [
  ['partition', 14],
  ['cut', 8],
  ['loss', 6],
  ['delay', 6],
  ['pause', 8],
  ['crash', 12],
  ['crash-in-checklist', 8],
  ['stop', 5],
  ['carrier', 7],
  ['hooks', 12],
  ['arbiter', 4],
  ['add-fails', 3],
  ['maintenance', 7],
  ['operator', 12],
  // Three nodes or more only (a pair draws from the kinds above, as before): a cut between two of them.
  ['sever', 16],
]

function fault(rng: Prng, setup: Setup, horizonMs: number): Fault | undefined {
  const t = setup.timers
  const ids = setup.nodes.map((n) => n.id)
  const owners = setup.nodes.filter((n) => n.owns.length > 0).map((n) => n.id)
  const kinds = KINDS.filter(([k]) => (k !== 'arbiter' || t.arbitration) && (k !== 'sever' || ids.length > 2))
  const kind = weighted(rng, kinds)
  const at = round(rng.between(0, horizonMs * 0.8))
  const x0 = rng.next()
  const dur =
    x0 < 0.45
      ? rng.between(0.3, 2) * t.deadAfterMs
      : x0 < 0.8
        ? rng.between(2, 10) * t.deadAfterMs
        : rng.between(0.5, 1.5) * (t.stableForMs + 2 * t.deadAfterMs)
  const until = at + round(dur)
  const node = rng.pick(ids)
  const links = setup.links.length > 1 && rng.chance(0.3) ? { links: [rng.pick(setup.links)] } : {}
  switch (kind) {
    case 'partition':
      return {
        kind,
        at,
        until,
        groups: ids.length > 2 ? groupsOf(rng, ids) : ids.map((id) => [id]),
        ...links,
      }
    case 'sever': {
      const [x, y] = shuffle(rng, ids) as [string, string]
      return { kind, at, until, between: [x, y] }
    }
    case 'cut': {
      const to = rng.pick(ids.filter((id) => id !== node))
      return { kind, at, until, from: node, to, ...links }
    }
    case 'loss':
      return { kind, at, until, p: rng.pick([0.1, 0.3, 0.5, 0.9, 1]), ...links }
    case 'delay':
      return {
        kind,
        at,
        until,
        extraMs: round(rng.between(0, 2 * t.deadAfterMs)),
        jitterMs: round(rng.between(0, t.deadAfterMs)),
        ...links,
      }
    case 'pause':
      return { kind, at, until: at + round(rng.between(0.3, 3) * t.deadAfterMs), node }
    case 'crash':
      return { kind, at, ...(rng.chance(0.9) ? { until } : {}), node, wipe: rng.chance(0.5) }
    case 'crash-in-checklist': {
      const l = setup.latency
      const checklistMs =
        l.hookMs.Test + l.hookMs.PreAcq + l.hookMs.PostAcq + 2 * l.addressMs + 2 * l.journalMs + 20
      return {
        kind,
        at,
        node,
        wipe: rng.chance(0.5),
        afterMs: round(rng.between(0, 1.2 * checklistMs)),
        ...(rng.chance(0.9) ? { restartAfterMs: round(dur) } : {}),
      }
    }
    case 'stop':
      return { kind, at, ...(rng.chance(0.9) ? { until } : {}), node }
    case 'carrier':
    case 'add-fails':
    case 'maintenance':
      return { kind, at, until, node }
    case 'hooks': {
      const y = rng.next()
      if (y < 0.4)
        return { kind, at, until, node, slowMs: round(rng.logBetween(t.intervalMs / 2, 3 * t.deadAfterMs)) }
      if (y < 0.7) return { kind, at, until, node, fail: PHASES.filter(() => rng.chance(0.5)) }
      return { kind, at, until, node, refuse: rng.pick(['acquire', 'release', 'both', 'both'] as const) }
    }
    case 'arbiter':
      return { kind, at, until, node, answer: rng.chance(0.5) ? 'free' : 'refuse' }
    case 'operator':
      return {
        kind,
        at,
        node,
        command: rng.chance(0.5) ? 'takeover' : 'release',
        owner: rng.pick(owners),
      }
    default:
      return undefined
  }
}

/**
 * How three nodes or more split: every node alone (as a pair's partition), one node cut off from the
 * rest, or two random groups.
 */
function groupsOf(rng: Prng, ids: readonly string[]): string[][] {
  const x = rng.next()
  if (x < 0.2) return ids.map((id) => [id])
  if (x < 0.6) {
    const alone = rng.pick(ids)
    return [[alone], ids.filter((id) => id !== alone)]
  }
  const mixed = shuffle(rng, ids)
  const cut = rng.int(1, ids.length - 1)
  return [mixed.slice(0, cut), mixed.slice(cut)]
}

/** Faults that only matter while a checklist runs (hooks, add failures, the arbiter). */
const WHILE_CHECKLISTS: readonly Fault['kind'][] = ['hooks', 'add-fails', 'arbiter']

/**
 * Most checklists run in answer to another fault (a takeover after a cut, a failback after a heal):
 * a hooks fault at a random time mostly misses them. Most such faults are moved to cover the
 * reaction to another fault: from a little before it to the takeover, or on to the failback.
 */
function anchored(rng: Prng, faults: Fault[], t: Timers, nodes: readonly NodeSetup[]): Fault[] {
  const others = faults.filter((f) => !WHILE_CHECKLISTS.includes(f.kind))
  return faults.map((f) => {
    if (!WHILE_CHECKLISTS.includes(f.kind) || others.length === 0 || !rng.chance(0.6)) return f
    const cause = rng.pick(others)
    const at = Math.max(0, cause.at - rng.int(0, t.deadAfterMs))
    const reaction = rng.chance(0.5) ? 2 * t.deadAfterMs : t.stableForMs + 3 * t.deadAfterMs
    const until = cause.at + round(reaction * rng.between(0.5, 1.5))
    const node = rng.chance(0.7)
      ? (reacting(cause, nodes) ?? (f as { node: string }).node)
      : (f as { node: string }).node
    return { ...f, at, until, node } as Fault
  })
}

/**
 * The node that most likely answers a fault with a checklist: the one that loses its peer (with an
 * order, the node's first taker: it takes over).
 */
function reacting(cause: Fault, nodes: readonly NodeSetup[]): string | undefined {
  if (cause.kind === 'cut') return cause.to
  if (cause.kind === 'sever') return cause.between[1]
  if ('node' in cause) {
    const first = nodes.find((n) => n.id === cause.node)?.takers?.[0]
    return first ?? nodes.find((n) => n.id !== cause.node)?.id
  }
  return undefined
}

function weighted<T>(rng: Prng, choices: readonly (readonly [T, number])[]): T {
  let x = rng.next() * choices.reduce((sum, [, w]) => sum + w, 0)
  for (const [choice, w] of choices) {
    x -= w
    if (x < 0) return choice
  }
  return choices[choices.length - 1]![0]
}

function round(x: number): number {
  return Math.round(x)
}
