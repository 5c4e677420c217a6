import type { Config } from '../config/schema.js'
import type { KeyRing } from '../heartbeat/key-ring.js'
import type { Coordinator } from '../model/coordination.js'
import type { IpfoEvent } from '../model/events.js'
import type {
  AddressControl,
  Arbiter,
  CarrierWatch,
  Clock,
  EventSink,
  GuardPort,
  HealthPort,
  HooksPort,
  Journal,
  ReplayStore,
  TakeoverTrace,
  Transport,
} from '../model/ports.js'
import type { EventBody } from '../state-machine/effects.js'
import type { EngineState } from '../state-machine/state.js'
import type { AgentStatus } from './status.js'

/** What an engine is given (its ports and config) and what it offers the agent. */

export interface EngineDeps {
  readonly config: Config
  readonly keys: KeyRing
  readonly clock: Clock
  readonly transport: Transport
  readonly address: AddressControl
  readonly hooks?: HooksPort
  /** Arbitration before automatic takeovers (config `arbitration`); absent, none is done. */
  readonly arbiter?: Arbiter
  /** Where running checklists are written down, to recover after a crash; absent, they are not. */
  readonly journal?: Journal
  /** Keeps replay marks between runs; absent, a restarted agent accepts one old packet per link. */
  readonly replayStore?: ReplayStore
  /** Carrier of the address interfaces (config `onCarrierLoss: release`); absent, carriers are not watched. */
  readonly carrier?: CarrierWatch
  readonly onEvent: EventSink
  /** The guard that acts if the agent dies (adapters/guard-process.ts); absent, none is kept told. */
  readonly guard?: GuardPort
  /** Where the events of takeover rehearsals go (see rehearsal.ts); absent, the engine does not rehearse. */
  readonly rehearsal?: { readonly onEvent: EventSink }
  /** Runs the config's health checks; required when the config has any (the agent builds it). */
  readonly health?: HealthPort
  /** Quorum (config `coordination`): the store's lease and keys; required when the config has it. */
  readonly coordinator?: Coordinator
  /** Marks a takeover's steps, for measuring its path (the address control marks its own); absent, none. */
  readonly trace?: TakeoverTrace
}

export interface Engine {
  /** Reconciles addresses with the interfaces, opens the heartbeat links and starts the timers. */
  start(): Promise<void>
  /** Releases (or keeps, by `onStop` unless `release` says) held addresses, then closes everything. */
  stop(opts?: { release?: boolean }): Promise<void>
  status(): AgentStatus
  /** The last events, oldest first, for `ipfo events`. */
  recentEvents(): readonly IpfoEvent[]
  /** Reports an event from outside the machine (hooks, transport): stamped, kept and passed on like any other. */
  report(event: EventBody): void
  /**
   * Runs `run` right after the next heartbeat is sent, in the same turn of the loop: work there
   * (a metrics render) sits neither between a heartbeat received and its processing nor right
   * before a due beat. Not run once the engine has stopped.
   */
  afterNextBeat(run: () => void): void
  /** Resolves to undefined when accepted, or to the reason it cannot be done now. */
  takeover(owner: string): string | undefined
  release(owner: string): string | undefined
  maintenance(on: boolean): void
  /** The machine's state, for tests and diagnostics. */
  state(): EngineState
}
