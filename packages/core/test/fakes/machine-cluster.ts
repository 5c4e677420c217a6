import type { InterfaceAddress } from '../../src/model/ip.js'
import { advertisedHeld, advertisedState } from '../../src/state-machine/advertise.js'
import { nextDeadline } from '../../src/state-machine/deadline.js'
import type { Checklist, EventBody } from '../../src/state-machine/effects.js'
import { advertisedFit } from '../../src/state-machine/fitness.js'
import type { ChecklistOutcome, Input } from '../../src/state-machine/inputs.js'
import { ordersView } from '../../src/state-machine/order.js'
import { heardView } from '../../src/state-machine/relay.js'
import type { EngineState, Timing } from '../../src/state-machine/state.js'
import { initialState, transition } from '../../src/state-machine/transition.js'
import { testTiming } from './machine-simulation.js'

/** One group of addresses: its owner and its takers, first to last. */
export interface GroupSetup {
  readonly owner: string
  readonly addresses: readonly InterfaceAddress[]
  readonly takers: readonly string[]
}

interface Member {
  readonly id: string
  state: EngineState
  incarnation: number
  up: boolean
  /** Checklists running, each with when it ends and how. */
  running: { checklist: Checklist; endsAt: number; outcome: ChecklistOutcome }[]
  events: EventBody[]
  /** When the next heartbeat round goes out. */
  nextBeatAt: number
  /** A round goes out at the next millisecond (the machine asked for one). */
  beatNow: boolean
}

/**
 * Several pure machines wired together with a fake clock and a network of who hears whom: each node
 * sends, every interval, what its engine would (state, held, fit, orders, heard) to every node it
 * hears; checklists end `checklistMs` after they start. For the table tests of more than two nodes
 * (order.test.ts): cut and heal pairs, kill and revive nodes, and judge the holders at every step.
 */
export class MachineCluster {
  now = 1_000
  readonly timing: Timing
  private readonly members = new Map<string, Member>()
  private readonly cuts = new Set<string>()
  /** How a node's next checklists end, by node and action (default done). */
  private readonly outcomes = new Map<string, ChecklistOutcome>()
  /** The last heal or return: two nodes that did not hear of each other may both hold an address. */
  private lastJoinAt = Number.NEGATIVE_INFINITY
  /**
   * How long after a heal or a return two holders are excused (the simulator's two-holders grace,
   * one interval more for a report through a third node): the one that should let go hears the
   * other, finishes its acquire, and releases; or both yield and the first in order claims again.
   */
  get graceMs(): number {
    const t = this.timing
    return t.deadAfterMs + 3 * t.intervalMs + 2 * this.checklistMs + 50
  }

  /** What happened, with when: actions and every node's events (printed when a check fails). */
  readonly log: string[] = []

  constructor(
    readonly ids: readonly string[],
    readonly groups: readonly GroupSetup[],
    opts: {
      timing?: Partial<Timing>
      checklistMs?: number
      overrides?: Record<string, Partial<GroupSetup>[]>
    } = {},
  ) {
    this.timing = testTiming(opts.timing)
    this.checklistMs = opts.checklistMs ?? 20
    this.overrides = opts.overrides ?? {}
    ids.forEach((id, i) => {
      this.members.set(id, this.fresh(id, i))
    })
  }

  private readonly checklistMs: number
  private readonly overrides: Record<string, Partial<GroupSetup>[]>

  private fresh(id: string, i: number): Member {
    const resources = this.groups
      .map((g, k) => ({ ...g, ...(this.overrides[id]?.[k] ?? {}) }))
      .filter((g) => g.owner === id || g.takers.includes(id))
      .map((g) => ({ owner: g.owner, addresses: g.addresses, takers: g.takers }))
    const state = initialState(
      {
        self: id,
        timing: this.timing,
        linkNames: ['private', 'public'],
        peers: this.ids.filter((x) => x !== id),
        resources,
        releaseOnStop: true,
      },
      this.now,
    )
    return {
      id,
      state,
      incarnation: this.now,
      up: true,
      running: [],
      events: [],
      nextBeatAt: this.now + ((i * 7) % this.timing.intervalMs),
      beatNow: false,
    }
  }

  member(id: string): Member {
    const m = this.members.get(id)
    if (!m) throw new Error(`no node ${id}`)
    return m
  }

  /** Nodes x and y no longer hear each other on any link. */
  cut(x: string, y: string): void {
    this.log.push(`${this.now} cut ${x} ${y}`)
    this.cuts.add([x, y].sort().join(' '))
  }

  heal(x: string, y: string): void {
    this.lastJoinAt = this.now
    this.log.push(`${this.now} heal ${x} ${y}`)
    this.cuts.delete([x, y].sort().join(' '))
  }

  /** The node dies: it sends nothing, hears nothing, and its addresses go with it. */
  kill(id: string): void {
    this.log.push(`${this.now} kill ${id}`)
    this.member(id).up = false
  }

  /** The node starts afresh (a new incarnation, nothing held). */
  revive(id: string): void {
    this.lastJoinAt = this.now
    this.log.push(`${this.now} revive ${id}`)
    this.members.set(id, this.fresh(id, this.ids.indexOf(id)))
  }

  /** How this node's checklists of `action` end from now on. */
  outcome(id: string, action: 'acquire' | 'release', outcome: ChecklistOutcome): void {
    this.outcomes.set(`${id} ${action}`, outcome)
  }

  /** An input to a live node (a dead one hears nothing, and its checks say nothing). */
  input(id: string, input: Input): void {
    const m = this.member(id)
    if (!m.up) return
    const result = transition(m.state, input, this.now)
    m.state = result.state
    for (const e of result.effects) {
      if (e.kind === 'emit') {
        m.events.push(e.event)
        const { kind, ...rest } = e.event
        this.log.push(`${this.now} ${id} ${kind} ${JSON.stringify(rest)}`)
      }
      // As the engine: a heartbeat at once when the machine asks, and just after a checklist starts.
      if (e.kind === 'send-heartbeat' || e.kind === 'run-checklist') m.beatNow = true
      if (e.kind === 'run-checklist') {
        const outcome = this.outcomes.get(`${id} ${e.checklist.action}`) ?? 'done'
        m.running.push({ checklist: e.checklist, endsAt: this.now + this.checklistMs, outcome })
      }
      if (e.kind === 'yield-checklist') {
        for (const r of m.running) if (r.checklist.owner === e.owner) r.outcome = 'yielded'
      }
    }
  }

  hears(x: string, y: string): boolean {
    return this.member(x).up && this.member(y).up && !this.cuts.has([x, y].sort().join(' '))
  }

  /** Runs the cluster for `ms`, 1 ms at a time: beats, checklist ends, deadlines. */
  run(ms: number, check?: () => void): void {
    const until = this.now + ms
    while (this.now < until) {
      this.now += 1
      for (const m of this.members.values()) {
        if (!m.up) continue
        const ending = m.running.filter((r) => r.endsAt <= this.now)
        m.running = m.running.filter((r) => r.endsAt > this.now)
        for (const r of ending)
          this.input(m.id, {
            kind: 'checklist-finished',
            id: r.checklist.id,
            owner: r.checklist.owner,
            outcome: r.outcome,
          })
        if (m.nextBeatAt <= this.now) {
          m.nextBeatAt += this.timing.intervalMs
          m.beatNow = false
          this.beat(m)
        } else if (m.beatNow) {
          m.beatNow = false
          this.beat(m)
        }
        const due = nextDeadline(m.state, this.now - 1)
        if (due !== undefined && due <= this.now) this.input(m.id, { kind: 'tick' })
      }
      check?.()
    }
  }

  private beat(from: Member): void {
    const s = from.state
    const wire = s.orderOnWire
    for (const to of this.members.values()) {
      if (to.id === from.id || !this.hears(from.id, to.id)) continue
      for (const link of ['private', 'public'])
        this.input(to.id, {
          kind: 'heartbeat',
          peer: from.id,
          link,
          incarnation: from.incarnation,
          restarted: false,
          sentAt: this.now,
          state: advertisedState(s),
          held: advertisedHeld(s),
          fit: advertisedFit(s),
          orders: wire ? ordersView(s) : null,
          heard: wire ? heardView(s, this.now) : null,
        })
    }
  }

  /** The nodes that may have the group's addresses on an interface now (acquiring, held, releasing). */
  holders(owner: string): string[] {
    const out: string[] = []
    for (const m of this.members.values()) {
      if (!m.up) continue
      const status = m.state.resources[owner]?.status
      if (status === 'acquiring' || status === 'held' || status === 'releasing') out.push(m.id)
    }
    return out
  }

  /**
   * A check for `run`: throws when any group has two holders, past `graceMs` after a heal or a return
   * when `afterJoins` (the random runs); at any moment otherwise.
   */
  never2(afterJoins = false): () => void {
    return () => {
      if (afterJoins && this.now - this.lastJoinAt <= this.graceMs) return
      for (const g of this.groups) {
        const h = this.holders(g.owner)
        if (h.length > 1) {
          const tail = this.log.slice(-60).join('\n')
          throw new Error(`at ${this.now}: ${g.owner}'s addresses held by ${h.join(' and ')}\n${tail}`)
        }
      }
    }
  }

  events(id: string): EventBody[] {
    return this.member(id).events
  }

  kinds(id: string): string[] {
    return this.events(id).map((e) => e.kind)
  }

  /** This node's health checks say its service is down (true) or up (false) for the group's addresses. */
  sick(id: string, owner: string, sick: boolean): void {
    const g = this.groups.find((x) => x.owner === owner)
    if (!g) throw new Error(`no group ${owner}`)
    this.log.push(`${this.now} ${sick ? 'sick' : 'well'} ${id} ${owner}`)
    const failing = { ...this.member(id).state.failing }
    for (const a of g.addresses) {
      if (sick) failing[a.ip] = ['web']
      else delete failing[a.ip]
    }
    this.input(id, { kind: 'fitness', failing })
  }
}
