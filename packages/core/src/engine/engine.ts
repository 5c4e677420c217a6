import { ReplayGuard } from '../heartbeat/replay-guard.js'
import { noHooks } from '../model/ports.js'
import {
  advertisedHeard,
  advertisedHeld,
  advertisedOrders,
  advertisedState,
} from '../state-machine/advertise.js'
import { nextDeadline } from '../state-machine/deadline.js'
import type { Effect } from '../state-machine/effects.js'
import { advertisedFit } from '../state-machine/fitness.js'
import type { Input } from '../state-machine/inputs.js'
import { releaseRefusal, takeoverRefusal } from '../state-machine/operator.js'
import { initialState, transition } from '../state-machine/transition.js'
import { acquireFence } from './acquire-fence.js'
import { lifetimeKeeper } from './address-lifetimes.js'
import { watchCarrier } from './carrier.js'
import { checkRunner } from './check-runner.js'
import { checklistRunner } from './checklists.js'
import { deadlineTimer, pauseDetector } from './deadline-timer.js'
import type { Engine, EngineDeps } from './engine-api.js'
import { eventStream } from './event-stream.js'
import { guardInformant } from './guard-informant.js'
import { heartbeatSender } from './heartbeat-sender.js'
import { allAddresses, machineSetup } from './machine-setup.js'
import { packetIntake } from './packet-intake.js'
import { quorumLink } from './quorum-link.js'
import { rehearsalLoop } from './rehearsal.js'
import { removeAll } from './remove-addresses.js'
import { replayMarks } from './replay-marks.js'
import { reconcileAddresses, recoverInterrupted } from './startup-recovery.js'
import { buildStatus, type Counters, newCounters } from './status.js'

const startsAcquire = (effect: Effect) =>
  effect.kind === 'run-checklist' && effect.checklist.action === 'acquire'

/**
 * Wires the pure state machine to its surroundings: packets in (packet-intake), heartbeats out
 * (heartbeat-sender), checklists (checklists, executor), start-up recovery, and the one timer for
 * the machine's next deadline. Touches the world only through the ports it is given.
 */
export function createEngine(deps: EngineDeps): Engine {
  const { config, clock, transport } = deps
  const incarnation = clock.wallNow()
  const counters: Counters = newCounters(config.links.map((l) => l.name))
  const events = eventStream(clock, deps.onEvent)
  const { emit } = events
  const guard = new ReplayGuard()
  const marks = replayMarks(guard, deps.replayStore, clock, emit)
  let state = initialState(machineSetup(config), clock.now())
  const deadline = deadlineTimer(clock, onDeadline)
  const pause = pauseDetector({ deadAfterMs: config.deadAfter, intervalMs: config.interval })
  let started = false
  /** Heartbeats run: the engine's turns are an interval apart at most, and a longer gap is a stall. */
  let beating = false
  let stopped: (() => void) | undefined
  const stoppedPromise = new Promise<void>((resolve) => {
    stopped = resolve
  })

  const afterBeat: (() => void)[] = []
  const heartbeats = heartbeatSender({
    config,
    keys: deps.keys,
    clock,
    transport,
    incarnation,
    counters,
    emit,
    advertise: () => ({
      state: advertisedState(state),
      held: advertisedHeld(state),
      fit: advertisedFit(state),
      orders: advertisedOrders(state),
      heard: advertisedHeard(state, clock.now()),
    }),
    beforeBeat: notePause,
    afterBeat: () => {
      void marks.save()
      // The slack of the interval: the beat is out, the next is an interval away (a metrics render).
      if (afterBeat.length > 0) for (const run of afterBeat.splice(0)) run()
    },
    ...(deps.guard ? { lastWord: (words) => deps.guard?.lastWord(words) } : {}),
  })
  const informGuard = guardInformant(deps.guard)
  const { trace } = deps
  const lifetimes = lifetimeKeeper({
    clock,
    address: deps.address,
    deadAfterMs: config.deadAfter,
    emit,
    expired: (owner) => apply({ kind: 'expired', owner }),
    // With onQuorumLoss keep, addresses outlast the lease by choice: their lifetimes are not capped.
    ...(config.coordination?.onQuorumLoss === 'release'
      ? {
          leaseEndsInMs: () => {
            const validFor = quorum?.validForMs() ?? 0
            return validFor > 0 ? validFor + (config.coordination?.margin ?? 0) : undefined
          },
        }
      : {}),
  })
  const intake = packetIntake({
    config,
    keys: deps.keys,
    clock,
    guard,
    counters,
    emit,
    accepted: marks.touched,
    deliver: (beats) => applyNow({ kind: 'heartbeats', beats }),
  })
  if (config.coordination && !deps.coordinator) {
    throw new Error('the config has a coordination section but the engine was given no Coordinator')
  }
  const quorum = deps.coordinator
    ? quorumLink({
        coordinator: deps.coordinator,
        self: config.node,
        clock,
        emit,
        apply: (input) => apply(input),
        onRenewed: () => {
          lifetimes?.renewNow()
          claimKeptAgain()
        },
      })
    : undefined
  const fence =
    quorum && config.coordination?.onQuorumLoss === 'release'
      ? acquireFence({ address: deps.address, lifetimes, emit })
      : undefined
  const checklists = checklistRunner({
    config,
    clock,
    address: deps.address,
    hooks: deps.hooks ?? noHooks,
    arbiter: deps.arbiter,
    claims: quorum?.claims,
    fence,
    journal: deps.journal,
    runId: incarnation,
    emit,
    state: () => state,
    finished: (checklist, outcome) =>
      apply({ kind: 'checklist-finished', id: checklist.id, owner: checklist.owner, outcome }),
  })
  const rehearsals = deps.rehearsal
    ? rehearsalLoop({
        self: config.node,
        clock,
        sink: deps.rehearsal.onEvent,
        state: () => state,
        encodeHeartbeat: (held) =>
          heartbeats.rehearse({
            state: advertisedState(state),
            held,
            fit: advertisedFit(state),
            orders: advertisedOrders(state),
            heard: advertisedHeard(state, clock.now()),
          }),
        address: deps.address,
        addresses: allAddresses(config),
        emit,
      })
    : undefined

  if (Object.keys(config.checks).length > 0 && !deps.health) {
    throw new Error('the config has health checks but the engine was given no HealthPort to run them')
  }
  const checks = deps.health
    ? checkRunner({ config, clock, health: deps.health, emit, apply: (input) => apply(input) })
    : undefined

  /** Held owners whose key is being claimed again (see claimKeptAgain). */
  const claimingAgain = new Set<string>()
  /**
   * Quorum: a held resource whose key this node does not hold under its current lease (kept through
   * a lease it lost, `onQuorumLoss: keep`: the key went with that lease) claims it again; should
   * another node hold it now, the machine releases the addresses (`key-lost`). A claim that could
   * not be asked is asked again at the next renewal.
   */
  function claimKeptAgain(): void {
    if (!quorum) return
    for (const r of Object.values(state.resources)) {
      const owner = r.owner
      if (r.status !== 'held' || quorum.claims.holds(owner) || claimingAgain.has(owner)) continue
      claimingAgain.add(owner)
      void quorum.claims.claim(owner).then((result) => {
        claimingAgain.delete(owner)
        if (!result.won && result.holder !== undefined && state.resources[owner]?.status === 'held')
          apply({ kind: 'key-lost', owner, holder: result.holder })
      })
    }
  }

  /** Heartbeats already read are part of what is known now: they go in before any other input. */
  function apply(input: Input): void {
    intake.flush()
    applyNow(input)
  }

  function applyNow(input: Input): void {
    // Every turn notes a stall of this process before anything is judged: waking from one, Node's
    // loop reads the sockets before it runs the overdue timers (a third node's heartbeats, queued
    // meanwhile, come first), and a process not run between a timer and its after-I/O tick judges
    // in the tick.
    trace?.turn()
    if (input.kind !== 'stalled' && input.kind !== 'resumed') notePause(clock.now())
    const now = clock.now()
    const result = transition(state, input, now)
    state = result.state
    // Traced, a takeover's steps are marked in the turn that decided it (adapters/takeover-trace.ts).
    const deciding = trace !== undefined && result.effects.some(startsAcquire)
    if (deciding) trace.mark('decided')
    // Before anything else: what running acquires added goes now, not when their checklists end.
    if (input.kind === 'quorum' && !input.valid) void fence?.lapsed()
    for (const effect of result.effects) perform(effect)
    deadline.schedule(nextDeadline(state, now))
    informGuard(state)
    if (deciding && deps.guard) trace.mark('guard')
    lifetimes?.update(state)
  }

  function perform(effect: Effect): void {
    if (effect.kind === 'emit') emit(effect.event)
    else if (effect.kind === 'send-heartbeat') heartbeats.now()
    else if (effect.kind === 'yield-checklist') checklists.yield(effect.owner)
    else if (effect.kind === 'announce') checklists.announce(effect)
    else if (effect.kind === 'stopped') stopped?.()
    else {
      checklists.run(effect.checklist)
      if (effect.checklist.action === 'acquire') trace?.mark('checklist')
      heartbeats.afterThisTurn()
    }
  }

  function onDeadline(): void {
    // A late timer runs before heartbeats already queued in the socket: deliver those first,
    // then judge, so a busy loop or a GC pause is not mistaken for a dead peer.
    clock.afterIo(() => apply({ kind: 'tick' }))
  }

  /**
   * Peers' silence while this node was frozen proves nothing: say so, and judge it afresh. After a
   * shorter stall, links keep their verdict for a grace: a peer stalled with this node (the same VM,
   * the same busy host) is heard again once it resumes, which may be a moment after this node.
   */
  function notePause(now: number): void {
    // Turns come an interval apart at most only while heartbeats run: not during the start's steps.
    if (!beating) return
    const noted = pause.note(now)
    // applyNow, not apply: heartbeats read but not yet delivered are judged after this, not before.
    if (noted.kind === 'stalled') applyNow({ kind: 'stalled', stalledMs: noted.lateMs })
    if (noted.kind !== 'paused') return
    const gap = noted.gapMs
    emit({ kind: 'paused', pausedMs: gap })
    // A lease whose validity ran out during the pause is lost first: its addresses go before any
    // heartbeat is judged or sent.
    quorum?.check()
    // Addresses whose lifetime ran out meanwhile are let go in the same step as the peers are judged
    // afresh, before the first heartbeat says anything.
    applyNow({ kind: 'resumed', pausedMs: gap, expired: lifetimes?.lapsed() ?? [] })
  }

  /**
   * Quorum, at a stop: addresses a release did not remove (Test refused it, a strict hook or the
   * remove failed) cannot stay once the agent no longer renews its lease; another node may win their
   * key then. They are removed without hooks, loudly.
   */
  async function removeKept(): Promise<void> {
    for (const r of Object.values(state.resources)) {
      if (r.status !== 'held') continue
      emit({
        kind: 'error',
        message: `${r.addresses.map((a) => `${a.ip}/${a.prefix}`).join(', ')} of ${r.owner} were not released; removed without their hooks, since the lease ends with the agent`,
        context: 'stopping with a quorum lease',
      })
      await removeAll(r.addresses, { address: deps.address, emit })
    }
  }

  return {
    async start() {
      if (started) return
      started = true
      await marks.load()
      // With a quorum store, addresses found on the interfaces are removed: they are held only by a
      // key won under this run's lease (the last run's lease, if it still lives, is not this one's).
      const { held, dropped } = await reconcileAddresses(config, deps.address, emit, { keep: !quorum })
      const { unfinished, undone } = await recoverInterrupted(deps.journal, held, emit, (entry) =>
        checklists.undoAfterRestart(entry),
      )
      // What the last run held and this one removed: its release hooks run (a service PostAcq
      // started, a volume it mounted), before anything is claimed, unless the recovery undid it.
      for (const { owner, addresses } of dropped)
        if (!undone.includes(owner)) await checklists.releaseAfterRestart(owner, addresses)
      apply({ kind: 'reconciled', held })
      // Verdicts start as configured (initial), before anything is claimed.
      checks?.start()
      await watchCarrier(deps.carrier, allAddresses(config), apply, emit)
      deps.address.prepare?.(allAddresses(config))
      await quorum?.prepare()
      try {
        await transport.start(intake.onPacket)
      } catch (error) {
        await checks?.stop()
        lifetimes?.stop()
        deps.address.close?.()
        deps.carrier?.close()
        throw error
      }
      apply({ kind: 'listening' })
      quorum?.start()
      for (const owner of Object.keys(state.resources)) checklists.arm(owner)
      emit({
        kind: 'agent-started',
        node: config.node,
        intervalMs: config.interval,
        deadAfterMs: config.deadAfter,
        detectionMs: config.deadAfter,
        links: config.links.map((l) => l.name),
        peers: config.peers.map((p) => p.id),
      })
      pause.note(clock.now())
      beating = true
      heartbeats.start()
      apply({ kind: 'tick' })
      for (const { entry, steps } of unfinished) checklists.finishAfterRestart(entry, steps)
      rehearsals?.start()
    },
    async stop(opts = {}) {
      // With quorum an address is held only while the lease is renewed: what the stop would keep goes.
      const release = config.coordination ? true : (opts.release ?? config.onStop === 'release')
      emit({ kind: 'agent-stopping', node: config.node, release })
      // Verdicts stop changing: the stop releases by what is known now.
      await checks?.stop()
      apply({ kind: 'stop', release })
      await stoppedPromise
      // The releases deleted their keys; a revoke ends the lease and whatever is still bound to it,
      // so the next holder wins at once, before the last heartbeat sends the peers to claim.
      if (quorum) {
        // No lifetime renewal may land after the remove: a change of an absent address adds it back.
        await lifetimes?.stopAndSettle()
        await removeKept()
        await quorum.stop(true)
      }
      // A last heartbeat says "stopping" and lists what is still held, so peers act at once.
      heartbeats.now()
      heartbeats.stop()
      beating = false
      deadline.clear()
      rehearsals?.stop()
      // What the stop keeps stays after the agent: nothing expires once it no longer renews. With
      // quorum nothing is kept (removeKept): a lifetime made permanent would add a removed address back.
      if (!quorum) await lifetimes?.keepForever()
      await transport.close()
      deps.address.close?.()
      deps.carrier?.close()
      await checklists.disarm()
      await marks.close()
    },
    status: () => ({
      ...buildStatus(state, {
        config,
        counters,
        incarnation,
        now: clock.now(),
        wallNow: clock.wallNow(),
        peerWire: intake.peerWire,
        recent: events.recent(),
        checks: checks?.status() ?? [],
      }),
      ...(lifetimes ? { lifetimes: lifetimes.status() } : {}),
      ...(quorum && config.coordination
        ? { quorum: { ...quorum.status(), onLoss: config.coordination.onQuorumLoss } }
        : {}),
      nextEvaluationInMs: deadline.at() === undefined ? null : (deadline.at() as number) - clock.now(),
    }),
    afterNextBeat(run) {
      afterBeat.push(run)
    },
    takeover(owner) {
      // Judge the command on the state it will meet: heartbeats already received come first.
      intake.flush()
      const refusal = takeoverRefusal(state, owner)
      if (!refusal) apply({ kind: 'takeover', owner })
      return refusal
    },
    release(owner) {
      intake.flush()
      const refusal = releaseRefusal(state, owner)
      if (!refusal) apply({ kind: 'release', owner })
      return refusal
    },
    maintenance: (on) => apply({ kind: 'maintenance', on }),
    state: () => state,
    recentEvents: () => [...events.recent()],
    report: emit,
  }
}
