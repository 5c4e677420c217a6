import type { Config } from '../../src/config/schema.js'
import { createEngine } from '../../src/engine/engine.js'
import type { Engine } from '../../src/engine/engine-api.js'
import { heartbeatKey, keyRing } from '../../src/heartbeat/key-ring.js'
import type { IpfoEvent } from '../../src/model/events.js'
import type { HookContext, HookPhase } from '../../src/model/hook-contract.js'
import type { Transport } from '../../src/model/ports.js'
import { addressPort } from './address-port.js'
import { AgentContext } from './agent-context.js'
import { arbiterPort } from './arbiter-port.js'
import { CarrierFeed } from './carrier-port.js'
import { Disk } from './disk.js'
import { type CheckRuns, healthPort, Service } from './health-port.js'
import { type HookBehaviour, hooksPort } from './hooks-port.js'
import type { InterfaceTable } from './interface-table.js'
import type { Network } from './network.js'
import { NodeClock } from './node-clock.js'
import { Prng } from './prng.js'
import type { CheckSetup, HookStage, Latencies, NodeSetup } from './schedule.js'
import type { Scheduler } from './scheduler.js'

const KEYS = keyRing(heartbeatKey(Buffer.alloc(32, 7)))

/** What a node tells the invariants and the trace. */
export interface NodeObserver {
  event(node: string, event: IpfoEvent): void
  hook(node: string, stage: HookStage, ctx: HookContext): void
  /** The agent came up, went down, or its operator state changed. */
  lifecycle(node: string): void
  /** An engine call threw or a promise of the engine rejected. */
  engineFailure(node: string, what: string, error: unknown): void
  expectError(node: string, context: string): void
  trace(node: string, text: string): void
}

export type AgentState = 'down' | 'starting' | 'up' | 'stopping'

/** A hooks fault in force on the node. */
export interface HookFault {
  readonly slowMs?: number
  readonly fail?: readonly HookPhase[]
  readonly refuse?: HookBehaviour['refuse']
}

/**
 * One simulated host: its agent (a real engine on simulated ports), its clock, its disk. Crashes,
 * stops and restarts make new generations of the agent; the disk and, unless the machine is
 * reset, the interfaces outlive them.
 */
export class SimNode {
  readonly clock: NodeClock
  readonly disk: Disk
  readonly carrier: CarrierFeed
  /** The checked service on this host (outlives the agent). */
  readonly service: Service
  private readonly healthRng: Prng
  gen = 0
  boot = 0
  state: AgentState = 'down'
  engine: Engine | undefined
  /** Operator state of the running agent (engines keep it in memory only). */
  maintenance = false
  heldBack = false
  /** Owners whose addresses an accepted `ipfo takeover` put here by hand (the engine keeps them, fit or not). */
  readonly manualFor = new Set<string>()
  /** A restart asked for while the agent was still stopping. */
  startWhenDown = false
  readonly hookFaults = new Set<HookFault>()
  addFaults = 0
  readonly arbiterFaults: ('free' | 'refuse')[] = []
  /** Called once at the next `acquiring` or `releasing` of any generation (a crash-in-checklist fault). */
  readonly atNextChecklist: (() => void)[] = []

  constructor(
    readonly setup: NodeSetup,
    readonly config: Config,
    private readonly world: {
      readonly scheduler: Scheduler
      readonly network: Network
      readonly table: InterfaceTable
      readonly latency: Latencies
      readonly arbitrationLatencyMs: number
      readonly observer: NodeObserver
      /** The scenario's seed: the check runs' durations come from it. */
      readonly seed: number
      readonly checks: CheckSetup | undefined
      readonly checkRuns: CheckRuns
    },
  ) {
    this.clock = new NodeClock(world.scheduler, setup.id, setup.clockRate, setup.wallOffsetMs)
    this.disk = new Disk(world.latency.journalMs)
    this.carrier = new CarrierFeed(setup.id, world.table)
    this.service = new Service(world.scheduler, world.checks, (text) => world.observer.trace(setup.id, text))
    this.healthRng = Prng.derive(world.seed, `health:${setup.id}`)
  }

  get id(): string {
    return this.setup.id
  }

  /** Starts a new generation of the agent. */
  start(): void {
    if (this.state !== 'down') {
      if (this.state === 'stopping') this.startWhenDown = true
      return
    }
    const { scheduler, observer } = this.world
    this.gen++
    this.state = 'starting'
    this.maintenance = false
    this.heldBack = false
    this.manualFor.clear()
    const ctx = new AgentContext(this.id, this.gen, scheduler, () => this.gen)
    const engine = this.createEngine(ctx)
    this.engine = engine
    observer.trace(this.id, `start gen ${this.gen}`)
    engine.start().then(
      () => {
        if (!ctx.live) return
        this.state = 'up'
        observer.lifecycle(this.id)
      },
      (error: unknown) => observer.engineFailure(this.id, 'start', error),
    )
  }

  /** SIGKILL (`wipe`: the machine resets too, its addresses gone and its clock from boot). */
  crash(wipe: boolean): void {
    const { scheduler, network, table, observer } = this.world
    this.end()
    if (wipe) {
      this.boot++
      this.clock.reboot()
      table.wipe(this.id)
    }
    scheduler.resume(this.id)
    observer.trace(this.id, wipe ? 'crash, machine reset' : 'crash, addresses left')
    network.listen(this.id, undefined)
    observer.lifecycle(this.id)
  }

  /** SIGTERM: the engine's own stop (release or keep, by onStop). */
  stop(): void {
    const engine = this.engine
    if (!engine || this.state === 'down' || this.state === 'stopping') return
    const { observer } = this.world
    const gen = this.gen
    this.state = 'stopping'
    observer.trace(this.id, 'stop')
    engine.stop().then(
      () => {
        if (this.gen !== gen) return
        const restart = this.startWhenDown
        this.end()
        observer.trace(this.id, 'stopped')
        observer.lifecycle(this.id)
        if (restart) this.start()
      },
      (error: unknown) => observer.engineFailure(this.id, 'stop', error),
    )
  }

  /** The agent is running and answers (an operator command reaches it). */
  get running(): boolean {
    return this.state === 'up' && !this.world.scheduler.isPaused(this.id)
  }

  hookBehaviour(): HookBehaviour {
    let slowMs = 0
    const fail = new Set<HookPhase>()
    let refuse: HookBehaviour['refuse']
    for (const f of this.hookFaults) {
      slowMs += f.slowMs ?? 0
      for (const p of f.fail ?? []) fail.add(p)
      if (f.refuse) refuse = refuse && refuse !== f.refuse ? 'both' : f.refuse
    }
    return { slowMs, fail, refuse }
  }

  private end(): void {
    this.gen++
    this.state = 'down'
    this.engine = undefined
    this.startWhenDown = false
    this.maintenance = false
    this.heldBack = false
    this.manualFor.clear()
  }

  private createEngine(ctx: AgentContext): Engine {
    const { network, table, latency, observer, checks, checkRuns } = this.world
    const id = this.id
    const transport: Transport = {
      start: async (onPacket) => {
        if (!ctx.live) return
        network.listen(id, (from, _link, data) =>
          onPacket({ data, from: { address: `node-${from}`, port: 1694 }, at: this.clock.now() }),
        )
      },
      send: (link, data) => {
        if (ctx.live) network.send(id, link as 'public' | 'private', data)
      },
      close: async () => {
        if (ctx.live) network.listen(id, undefined)
      },
    }
    return createEngine({
      config: this.config,
      keys: KEYS,
      clock: this.clock.port(ctx.gen),
      transport,
      address: addressPort(ctx, {
        table,
        latencyMs: latency.addressMs,
        boot: () => this.boot,
        addFails: () => this.addFaults > 0,
        expectError: (context) => observer.expectError(id, context),
        trace: (text) => observer.trace(id, text),
      }),
      hooks: hooksPort(ctx, {
        latency,
        behaviour: () => this.hookBehaviour(),
        onRun: (stage, hook) => observer.hook(id, stage, hook),
      }),
      ...(this.config.arbitration.probe
        ? {
            arbiter: arbiterPort(ctx, {
              table,
              network,
              latencyMs: this.world.arbitrationLatencyMs,
              forced: () => this.arbiterFaults[this.arbiterFaults.length - 1],
            }),
          }
        : {}),
      ...(checks
        ? {
            health: healthPort(ctx, {
              check: checks,
              service: this.service,
              rng: this.healthRng,
              runs: checkRuns,
            }),
          }
        : {}),
      journal: this.disk.journal(ctx),
      replayStore: this.disk.replayStore(ctx),
      carrier: this.carrier.port(ctx),
      onEvent: (event) => {
        if (!ctx.live) return
        observer.event(id, event)
        if (event.kind === 'acquiring' || event.kind === 'releasing')
          for (const fn of this.atNextChecklist.splice(0)) fn()
      },
    })
  }
}
