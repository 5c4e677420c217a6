import type { AdvertisedAddress } from '../model/advertised.js'
import type { IpfoEvent } from '../model/events.js'
import type { InterfaceAddress } from '../model/ip.js'
import type { AddressControl, Clock, EventSink, TimerHandle } from '../model/ports.js'
import { noHooks } from '../model/ports.js'
import { advertisedHeld } from '../state-machine/advertise.js'
import type { Effect, EventBody } from '../state-machine/effects.js'
import type { EngineState } from '../state-machine/state.js'
import { transition } from '../state-machine/transition.js'
import { type Emit, reportError } from './event-stream.js'
import { runChecklist } from './executor.js'

/** How often the takeover is rehearsed after start: V8 drops compiled code unused for a few major GCs. */
const REHEARSE_EVERY_MS = 60_000

export interface RehearsalDeps {
  readonly self: string
  /** Where the rehearsal's events go: never the real log, status or notifications. */
  readonly emit: (event: EventBody) => void
  /** Encodes (and drops) the heartbeat the takeover would send, holding `held`. */
  readonly encodeHeartbeat: (held: AdvertisedAddress[]) => void
  readonly now: () => number
  readonly wallNow: () => number
}

/**
 * An address control that changes and announces nothing: what a rehearsal runs its checklists on.
 */
const dryAddress: AddressControl = {
  present: async () => [],
  add: async () => {},
  remove: async () => {},
  announce: async () => {},
}

/**
 * A takeover performed in the mind only: from the machine's state as it is, every peer is lost (as
 * if no heartbeat came for twice deadAfter); the decision, its events, the heartbeat it would send,
 * its acquire checklists (on an address control and hooks that do nothing) and their end all run,
 * and all of it is dropped. The state is not changed; nothing reaches an interface, a hook, the wire
 * or the real event sinks.
 *
 * Why: a takeover is the one thing an agent does rarely and must do fast. Run for the first time,
 * its code is compiled on the way (V8 compiles functions when first called), which on the
 * benchmark's machine made a first takeover's decision-to-add some 3 ms slower than a second one's.
 * Rehearsed at start and again now and then (V8 drops the compiled code of functions unused for a
 * while), the real takeover runs warm.
 */
export async function rehearseTakeover(state: EngineState, deps: RehearsalDeps): Promise<void> {
  if (!state.listening) return
  const at = deps.now() + 2 * state.timing.deadAfterMs
  const decided = transition(state, { kind: 'tick' }, at)
  let s = decided.state
  await perform(decided.effects)

  async function perform(effects: readonly Effect[]): Promise<void> {
    for (const effect of effects) {
      if (effect.kind === 'emit') deps.emit(effect.event)
      else if (effect.kind === 'send-heartbeat') deps.encodeHeartbeat(advertisedHeld(s))
      else if (effect.kind === 'run-checklist' && effect.checklist.action === 'acquire') {
        const { checklist } = effect
        deps.encodeHeartbeat(advertisedHeld(s))
        const outcome = await runChecklist(checklist, {
          self: deps.self,
          address: dryAddress,
          hooks: noHooks,
          emit: deps.emit,
          now: () => at,
          wallNow: deps.wallNow,
          delay: async () => {},
        })
        const finished = transition(
          s,
          { kind: 'checklist-finished', id: checklist.id, owner: checklist.owner, outcome },
          at,
        )
        s = finished.state
        await perform(finished.effects)
      }
    }
  }
}

export interface RehearsalLoopDeps {
  readonly self: string
  readonly clock: Clock
  /** Where the rehearsals' events go (the agent gives a log to /dev/null, which warms the log's code too). */
  readonly sink: EventSink
  readonly state: () => EngineState
  readonly encodeHeartbeat: (held: AdvertisedAddress[]) => void
  /** The real address control, asked to warm its own path (`rehearse`), and the addresses. */
  readonly address: AddressControl
  readonly addresses: readonly InterfaceAddress[]
  /** Where a failed rehearsal is reported: the real event stream. */
  readonly emit: Emit
}

/** Rehearses a takeover once this turn has run, then every REHEARSE_EVERY_MS while the engine runs. */
export function rehearsalLoop(deps: RehearsalLoopDeps) {
  const { clock } = deps
  let timer: TimerHandle | undefined
  const running = () => deps.state().phase !== 'stopping' && deps.state().phase !== 'stopped'
  function rehearse(): void {
    timer = undefined
    if (!running()) return
    void rehearseTakeover(deps.state(), {
      self: deps.self,
      emit: (event) => deps.sink({ ...event, time: clock.wallNow() } as IpfoEvent),
      encodeHeartbeat: deps.encodeHeartbeat,
      now: () => clock.now(),
      wallNow: () => clock.wallNow(),
    })
      .then(() => deps.address.rehearse?.(deps.addresses))
      .catch(reportError(deps.emit, 'rehearsing a takeover'))
      .finally(() => {
        if (running()) timer = clock.setTimeout(rehearse, REHEARSE_EVERY_MS)
      })
  }
  return {
    start(): void {
      clock.afterIo(rehearse)
    },
    stop(): void {
      if (timer) clock.clearTimeout(timer)
      timer = undefined
    },
  }
}
