import type { AdvertisedAddress, NodeStateCode } from '../../src/model/advertised.js'
import type { InterfaceAddress } from '../../src/model/ip.js'
import { nextDeadline } from '../../src/state-machine/deadline.js'
import type { Checklist, Effect, EventBody } from '../../src/state-machine/effects.js'
import type { ChecklistOutcome, Input } from '../../src/state-machine/inputs.js'
import type { EngineState, Timing } from '../../src/state-machine/state.js'
import { initialState, type MachineSetup, transition } from '../../src/state-machine/transition.js'

/**
 * Drives the pure machine through a script with a fake clock, collecting events and checklists.
 * Used by the table tests.
 */
export class MachineSimulation {
  state: EngineState
  now: number
  readonly effects: Effect[] = []

  constructor(setup: MachineSetup, start = 1_000) {
    this.now = start
    this.state = initialState(setup, start)
  }

  input(input: Input): readonly Effect[] {
    const result = transition(this.state, input, this.now)
    this.state = result.state
    this.effects.push(...result.effects)
    return result.effects
  }

  /** Advances the clock to `t`, ticking at every deadline the machine asks for on the way. */
  advanceTo(t: number): void {
    for (;;) {
      const next = nextDeadline(this.state, this.now)
      if (next === undefined || next > t) break
      this.now = next
      this.input({ kind: 'tick' })
    }
    this.now = t
    this.input({ kind: 'tick' })
  }

  advance(ms: number): void {
    this.advanceTo(this.now + ms)
  }

  heartbeat(
    peer: string,
    link: string,
    opts: {
      held?: AdvertisedAddress[]
      state?: NodeStateCode
      incarnation?: number
      restarted?: boolean
      sentAt?: number
      fit?: string[] | null
    } = {},
  ): readonly Effect[] {
    return this.input({
      kind: 'heartbeat',
      peer,
      link,
      incarnation: opts.incarnation ?? 1,
      restarted: opts.restarted ?? false,
      sentAt: opts.sentAt ?? this.now,
      state: opts.state ?? 'healthy',
      held: opts.held ?? [],
      fit: opts.fit ?? null,
    })
  }

  /** Heartbeats from `peer` on `links` every `everyMs` until `until`, advancing the clock. */
  heartbeatsUntil(
    peer: string,
    links: string[],
    everyMs: number,
    until: number,
    held: AdvertisedAddress[] = [],
  ): void {
    while (this.now + everyMs <= until) {
      this.advance(everyMs)
      for (const link of links) this.heartbeat(peer, link, { held })
    }
    this.advanceTo(until)
  }

  finish(checklist: Checklist, outcome: ChecklistOutcome = 'done'): readonly Effect[] {
    return this.input({ kind: 'checklist-finished', id: checklist.id, owner: checklist.owner, outcome })
  }

  events(): EventBody[] {
    return this.effects.flatMap((e) => (e.kind === 'emit' ? [e.event] : []))
  }

  kinds(): string[] {
    return this.events().map((e) => e.kind)
  }

  checklists(): Checklist[] {
    return this.effects.flatMap((e) => (e.kind === 'run-checklist' ? [e.checklist] : []))
  }

  lastChecklist(): Checklist {
    const all = this.checklists()
    const last = all[all.length - 1]
    if (!last) throw new Error('no checklist was started')
    return last
  }

  status(owner: string): string {
    return this.state.resources[owner]?.status ?? 'none'
  }
}

/**
 * One node of the pair a and b, heartbeating on the links 'private' and 'public' and releasing what
 * it holds when it stops: the machine most table tests start from.
 */
export function pairMachine(
  self: 'a' | 'b',
  resources: MachineSetup['resources'],
  opts: { timing?: Partial<Timing>; releaseOnStop?: boolean; fitnessOnWire?: boolean } = {},
): MachineSimulation {
  return new MachineSimulation({
    self,
    timing: testTiming(opts.timing),
    linkNames: ['private', 'public'],
    peers: [self === 'a' ? 'b' : 'a'],
    resources,
    releaseOnStop: opts.releaseOnStop ?? true,
    ...(opts.fitnessOnWire ? { fitnessOnWire: true } : {}),
  })
}

export function testTiming(overrides: Partial<Timing> = {}): Timing {
  return {
    intervalMs: 100,
    deadAfterMs: 300,
    carrierSettleMs: 800,
    failback: { policy: 'auto', stableForMs: 1_000, claimTimeoutMs: 2_000 },
    announce: { count: 3, intervalMs: 10 },
    retryAfterMs: 5_000,
    arbitrate: false,
    onAllUnfit: 'keep',
    ...overrides,
  }
}

export function vip(ip: string, iface = 'eth0', prefix = 24): InterfaceAddress {
  return { interface: iface, ip, prefix, family: ip.includes(':') ? 6 : 4 }
}

export function held(a: InterfaceAddress, status: AdvertisedAddress['status'] = 'held'): AdvertisedAddress {
  return { ip: a.ip, prefix: a.prefix, family: a.family, status }
}
