import type { Config } from '../config/schema.js'
import { type DecodeResult, decodeHeartbeat, encodeHeartbeat } from '../heartbeat/codec.js'
import type { KeyRing } from '../heartbeat/key-ring.js'
import { ReplayGuard } from '../heartbeat/replay-guard.js'
import type { DropReason, IpfoEvent } from '../model/events.js'
import type { InterfaceAddress } from '../model/ip.js'
import type {
  AddressControl,
  Arbiter,
  CarrierWatch,
  Clock,
  EventSink,
  HooksPort,
  Journal,
  JournalEntry,
  ReceivedPacket,
  ReplayStore,
  TimerHandle,
  Transport,
} from '../model/ports.js'
import { noHooks } from '../model/ports.js'
import { advertisedHeld, advertisedState } from '../state-machine/advertise.js'
import type { Effect, EventBody } from '../state-machine/effects.js'
import type { HeartbeatInput, Input } from '../state-machine/inputs.js'
import type { EngineState } from '../state-machine/state.js'
import {
  initialState,
  nextDeadline,
  releaseRefusal,
  takeoverRefusal,
  transition,
} from '../state-machine/transition.js'
import { announceAll, runChecklist } from './executor.js'
import { rehearseTakeover } from './rehearsal.js'
import { type AgentStatus, buildStatus, type Counters } from './status.js'

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
  /**
   * Where the events of takeover rehearsals go (engine/rehearsal.ts): the agent gives a log to
   * /dev/null, which compiles the log's code too. Absent, the engine does not rehearse.
   */
  readonly rehearsal?: { readonly onEvent: EventSink }
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
  /** Resolves to undefined when accepted, or to the reason it cannot be done now. */
  takeover(owner: string): string | undefined
  release(owner: string): string | undefined
  maintenance(on: boolean): void
  /** The machine's state, for tests and diagnostics. */
  state(): EngineState
}

/** A stall this much beyond the heartbeat timer's due time is reported as `loop-stalled`. */
const STALL_FACTOR = 1
/** How often the takeover is rehearsed after start: V8 drops compiled code unused for a few major GCs. */
const REHEARSE_EVERY_MS = 60_000

/**
 * Wires heartbeats, the pure state machine and the checklist executor together. Owns every timer;
 * touches the world only through the ports it is given.
 */
export function createEngine(deps: EngineDeps): Engine {
  const { config, clock, transport } = deps
  const hooks = deps.hooks ?? noHooks
  const incarnation = clock.wallNow()
  const guard = new ReplayGuard()
  const peerIds = new Set(config.peers.map((p) => p.id))
  const linkNames = config.links.map((l) => l.name)
  const seqByLink = new Map<string, number>(linkNames.map((l) => [l, 0]))
  const counters: Counters = { sent: 0, received: 0, dropped: {}, loopStalls: 0, maxLoopLagMs: 0 }
  const dropReported = new Map<DropReason, number>()
  const recent: IpfoEvent[] = []
  /** What each peer's last heartbeat said about itself, for status and `ipfo doctor`. */
  const peerWire = new Map<string, { intervalMs: number; clockOffsetMs: number }>()

  let state = initialState(
    {
      self: config.node,
      listening: false,
      timing: {
        intervalMs: config.interval,
        deadAfterMs: config.deadAfter,
        carrierSettleMs: Math.max(config.deadAfter, config.carrierSettle),
        failback: {
          policy: config.failback.policy,
          stableForMs: config.failback.stableFor,
          claimTimeoutMs: config.failback.claimTimeout,
        },
        announce: { count: config.announce.count, intervalMs: config.announce.interval },
        retryAfterMs: Math.max(5_000, config.deadAfter),
        arbitrate: config.arbitration.probe || config.arbitration.witness.length > 0,
      },
      linkNames,
      peers: config.peers.map((p) => p.id),
      resources: [
        { owner: config.node, addresses: config.owns },
        ...config.peers.map((p) => ({ owner: p.id, addresses: p.takeover })),
      ],
      releaseOnStop: config.onStop === 'release',
    },
    clock.now(),
  )

  let deadlineTimer: TimerHandle | undefined
  let deadlineAt: number | undefined
  let heartbeatTimer: TimerHandle | undefined
  let nextBeatAt = 0
  /** Replay marks are saved at most this often (and at stop). */
  const REPLAY_SAVE_MS = 1_000
  let replaySavedAt = Number.NEGATIVE_INFINITY
  let replayDirty = false
  function saveReplayMarks(force = false): Promise<void> | undefined {
    if (!deps.replayStore || !replayDirty) return undefined
    const now = clock.now()
    if (!force && now - replaySavedAt < REPLAY_SAVE_MS) return undefined
    replaySavedAt = now
    replayDirty = false
    return deps.replayStore.save(guard.snapshot()).catch((error: unknown) => {
      emit({
        kind: 'error',
        message: error instanceof Error ? error.message : String(error),
        context: 'saving replay marks',
      })
    })
  }
  /** When a timer of this engine last ran: the heartbeat timer runs every interval, so a longer gap is a freeze. */
  let lastTimerRunAt = 0
  let started = false
  let stopped: (() => void) | undefined
  const stoppedPromise = new Promise<void>((resolve) => {
    stopped = resolve
  })

  function emit(event: EventBody): void {
    const stamped = { ...event, time: clock.wallNow() } as IpfoEvent
    recent.push(stamped)
    if (recent.length > 500) recent.shift()
    deps.onEvent(stamped)
  }

  function apply(input: Input): void {
    // Heartbeats already read are part of what is known now: they go in first.
    if (pendingBeats.length > 0) flushHeartbeats()
    applyNow(input)
  }

  /**
   * Heartbeats read in one turn of the event loop, applied together just after it. A loop that was
   * busy (a GC pause, a starved CPU) finds several of each peer queued in its sockets: judged one
   * by one, the oldest (the peer holding nothing, say) could start a claim that the next, a moment
   * newer (the peer taking the addresses after all), would have stopped.
   */
  let pendingBeats: HeartbeatInput[] = []
  function flushHeartbeats(): void {
    const beats = pendingBeats
    pendingBeats = []
    if (beats.length > 0) applyNow({ kind: 'heartbeats', beats })
  }

  function applyNow(input: Input): void {
    const now = clock.now()
    const result = transition(state, input, now)
    state = result.state
    for (const effect of result.effects) perform(effect)
    scheduleDeadline(now)
  }

  /**
   * Acquires written down ahead of time, one per owner whose addresses this node does not hold (see
   * JournalEntry `armed`): a takeover then starts its add without waiting for the disk.
   */
  const armedEntries = new Map<string, Promise<unknown>>()
  const armedKey = (owner: string) => `armed-${owner}`
  function arm(owner: string): void {
    if (!deps.journal || armedEntries.has(owner) || state.phase === 'stopping' || state.phase === 'stopped')
      return
    const resource = state.resources[owner]
    if (!resource || resource.status === 'held') return
    const addresses =
      owner === config.node ? config.owns : (config.peers.find((p) => p.id === owner)?.takeover ?? [])
    const entry: JournalEntry = {
      key: armedKey(owner),
      action: 'acquire',
      owner,
      peer: owner === config.node ? undefined : owner,
      addresses,
      reason: `acquiring ${owner === config.node ? 'its own' : `${owner}'s`} addresses`,
      reached: 'armed',
    }
    armedEntries.set(
      owner,
      deps.journal.write(entry).catch((error: unknown) => {
        armedEntries.delete(owner)
        emit({
          kind: 'error',
          message: error instanceof Error ? error.message : String(error),
          context: 'writing the checklist journal',
        })
      }),
    )
  }

  /** The running checklist of each owner, to stop short when the machine says so. */
  const yielding = new Map<string, AbortController>()

  function perform(effect: Effect): void {
    switch (effect.kind) {
      case 'emit':
        emit(effect.event)
        break
      case 'send-heartbeat':
        sendHeartbeats()
        break
      case 'yield-checklist':
        yielding.get(effect.owner)?.abort()
        break
      case 'run-checklist': {
        const { checklist } = effect
        const written = checklist.action === 'acquire' ? armedEntries.get(checklist.owner) : undefined
        armedEntries.delete(checklist.owner)
        const yielded = new AbortController()
        yielding.set(checklist.owner, yielded)
        // Off the heartbeat path: hooks and address commands run while heartbeats and detection go on.
        void runChecklist(checklist, {
          self: config.node,
          address: deps.address,
          hooks,
          arbiter: deps.arbiter,
          journal: deps.journal,
          runId: incarnation,
          armed: written ? { key: armedKey(checklist.owner), written } : undefined,
          yielded: yielded.signal,
          emit,
          now: () => clock.now(),
          wallNow: () => clock.wallNow(),
          delay: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
        }).then((outcome) => {
          if (yielding.get(checklist.owner) === yielded) yielding.delete(checklist.owner)
          apply({ kind: 'checklist-finished', id: checklist.id, owner: checklist.owner, outcome })
          // Not held after all (a release, a refusal, a failure): ready for the next acquire.
          arm(checklist.owner)
        })
        // Tell peers that these addresses are being acquired or released, once this turn has run the
        // checklist's first steps: with no hooks to run, the address change is then already written.
        clock.afterIo(sendHeartbeats)
        break
      }
      case 'announce':
        void announceAll(effect.addresses, effect, { address: deps.address, emit })
        break
      case 'stopped':
        stopped?.()
        break
    }
  }

  /**
   * A gap between timer runs longer than deadAfter means this process was frozen (SIGSTOP, a VM
   * pause) long enough for peers to have taken over. Say so, and judge peers' silence afresh instead
   * of calling them dead for the time this node was not listening.
   */
  function notePause(now: number): void {
    const gap = now - lastTimerRunAt
    lastTimerRunAt = now
    if (!started || gap <= config.deadAfter || gap <= 2 * config.interval) return
    emit({ kind: 'paused', pausedMs: gap })
    apply({ kind: 'resumed', pausedMs: gap })
  }

  /**
   * Arms the one timer for the machine's next deadline, computed at `evaluatedAt`, the time the state
   * was judged: effects may take a while (a log write to a full pipe), and a deadline that passed
   * meanwhile must still fire (at once) rather than be dropped as "in the past".
   */
  function scheduleDeadline(evaluatedAt: number): void {
    const at = nextDeadline(state, evaluatedAt)
    if (at === deadlineAt) return
    if (deadlineTimer) clock.clearTimeout(deadlineTimer)
    deadlineTimer = undefined
    deadlineAt = at
    if (at === undefined) return
    deadlineTimer = clock.setTimeout(
      () => {
        deadlineTimer = undefined
        deadlineAt = undefined
        notePause(clock.now())
        // A late timer runs before heartbeats already queued in the socket: deliver those first,
        // then judge, so a busy loop or a GC pause is not mistaken for a dead peer.
        clock.afterIo(() => apply({ kind: 'tick' }))
      },
      Math.max(0, at - clock.now()),
    )
  }

  /** Rehearses a takeover now, then every REHEARSE_EVERY_MS while the engine runs. */
  let rehearsalTimer: TimerHandle | undefined
  function rehearse(): void {
    rehearsalTimer = undefined
    const sink = deps.rehearsal?.onEvent
    if (!sink || state.phase === 'stopping' || state.phase === 'stopped') return
    void rehearseTakeover(state, {
      self: config.node,
      emit: (event) => sink({ ...event, time: clock.wallNow() } as IpfoEvent),
      // Never sent: seq 1 leaves the numbering of the real ones untouched.
      encodeHeartbeat: (held) => heartbeatPacket(linkNames[0] ?? '', 1, advertisedState(state), held),
      now: () => clock.now(),
      wallNow: () => clock.wallNow(),
    })
      .then(() => deps.address.rehearse?.([...config.owns, ...config.peers.flatMap((p) => p.takeover)]))
      .catch((error: unknown) =>
        emit({
          kind: 'error',
          message: error instanceof Error ? error.message : String(error),
          context: 'rehearsing a takeover',
        }),
      )
      .finally(() => {
        if (state.phase !== 'stopping' && state.phase !== 'stopped')
          rehearsalTimer = clock.setTimeout(rehearse, REHEARSE_EVERY_MS)
      })
  }

  function heartbeatPacket(
    link: string,
    seq: number,
    nodeState: ReturnType<typeof advertisedState>,
    held: ReturnType<typeof advertisedHeld>,
  ): Buffer {
    const sentAt = clock.wallNow()
    const { node, interval: intervalMs } = config
    return encodeHeartbeat(
      { node, link, incarnation, seq, sentAt, intervalMs, state: nodeState, held },
      deps.keys,
    )
  }

  function sendHeartbeats(): void {
    const held = advertisedHeld(state)
    const nodeState = advertisedState(state)
    for (const link of linkNames) {
      const seq = (seqByLink.get(link) ?? 0) + 1
      seqByLink.set(link, seq)
      transport.send(link, heartbeatPacket(link, seq, nodeState, held))
      counters.sent++
    }
  }

  function beat(): void {
    const now = clock.now()
    notePause(now)
    const lag = now - nextBeatAt
    counters.maxLoopLagMs = Math.max(counters.maxLoopLagMs, lag)
    if (lag > config.interval * STALL_FACTOR) {
      counters.loopStalls++
      emit({ kind: 'loop-stalled', stalledMs: lag })
    }
    sendHeartbeats()
    void saveReplayMarks()
    // Schedule against the plan, not against now, so the interval does not drift; skip beats lost to a stall.
    nextBeatAt += config.interval
    if (nextBeatAt <= now) nextBeatAt = now + config.interval
    heartbeatTimer = clock.setTimeout(beat, nextBeatAt - now)
  }

  function onPacket(packet: ReceivedPacket): void {
    const decoded = decodeHeartbeat(packet.data, deps.keys)
    const rejection = rejectionOf(decoded)
    if (rejection || !decoded.ok) {
      if (rejection) drop(rejection.reason, packet, rejection.detail)
      return
    }
    const hb = decoded.heartbeat
    const fresh = guard.accept(hb.node, hb.link, hb.incarnation, hb.seq)
    if (!fresh.ok) {
      drop('replay', packet, fresh.detail)
      return
    }
    counters.received++
    replayDirty = true
    peerWire.set(hb.node, { intervalMs: hb.intervalMs, clockOffsetMs: hb.sentAt - clock.wallNow() })
    pendingBeats.push({
      peer: hb.node,
      link: hb.link,
      incarnation: hb.incarnation,
      restarted: fresh.restarted,
      sentAt: hb.sentAt,
      state: hb.state,
      held: hb.held,
    })
    if (pendingBeats.length === 1) clock.afterIo(flushHeartbeats)
  }

  /** Why a decoded packet is not a heartbeat from a configured peer on a configured link. */
  function rejectionOf(decoded: DecodeResult): { reason: DropReason; detail: string } | undefined {
    if (!decoded.ok) return decoded
    const hb = decoded.heartbeat
    if (hb.node === config.node) return { reason: 'own-packet', detail: 'our own heartbeat (broadcast loop)' }
    if (!peerIds.has(hb.node)) return { reason: 'unknown-node', detail: `node "${hb.node}" is not in peers` }
    if (!linkNames.includes(hb.link))
      return { reason: 'malformed', detail: `link "${hb.link}" is not configured here` }
    return undefined
  }

  function drop(reason: DropReason, packet: ReceivedPacket, detail: string): void {
    counters.dropped[reason] = (counters.dropped[reason] ?? 0) + 1
    if (reason === 'own-packet') return
    // Report each reason at most once per 10 s: a flood must not become a log flood.
    const last = dropReported.get(reason)
    const now = clock.now()
    if (last !== undefined && now - last < 10_000) return
    dropReported.set(reason, now)
    emit({ kind: 'packet-dropped', reason, from: `${packet.from.address}:${packet.from.port}`, detail })
  }

  async function reconcile(): Promise<void> {
    const owners: { owner: string; addresses: readonly InterfaceAddress[] }[] = [
      { owner: config.node, addresses: config.owns },
      ...config.peers.map((p) => ({ owner: p.id, addresses: p.takeover })),
    ]
    const all = owners.flatMap((o) => o.addresses)
    const present = await deps.address.present(all)
    const isPresent = (a: InterfaceAddress) =>
      present.some((p) => p.ip === a.ip && p.interface === a.interface)
    let held: string[] = []
    for (const o of owners) {
      if (o.addresses.length === 0) continue
      const here = o.addresses.filter(isPresent)
      if (here.length === o.addresses.length) held.push(o.owner)
      else if (here.length > 0) {
        // Half a set (a crash mid-checklist): remove the rest so the set is acquired whole, in order.
        for (const a of here) await deps.address.remove(a)
      }
    }
    emit({
      kind: 'reconciled',
      present: all.filter(isPresent).map((a) => `${a.ip}/${a.prefix}`),
      absent: all.filter((a) => !isPresent(a)).map((a) => `${a.ip}/${a.prefix}`),
    })
    held = await recoverInterrupted(held)
    apply({ kind: 'reconciled', held })
  }

  /** Steps left by a checklist an earlier run did not finish; run once the engine is up. */
  const unfinished: { entry: JournalEntry; steps: ('announce' | 'PostAcq' | 'PostRel' | 'notify')[] }[] = []

  /**
   * Checklists an earlier run was killed in the middle of. An acquire whose addresses were all added
   * is finished (announce, PostAcq, notify); one that had not got that far is rolled back (whatever
   * it added removed). A release whose addresses were all removed is finished (PostRel, notify);
   * otherwise the addresses stay and the machine decides again. Each gets a `checklist-recovered`.
   */
  async function recoverInterrupted(held: string[]): Promise<string[]> {
    const leftovers = deps.journal ? await deps.journal.leftovers().catch(() => []) : []
    const result = held
    for (const entry of leftovers) {
      const addresses = entry.addresses.map((a) => `${a.ip}/${a.prefix}`)
      const complete = held.includes(entry.owner)
      let decision: 'finished' | 'rolled-back'
      let reason: string
      if (entry.reached === 'armed' && !complete) {
        // Written ahead of time and never used: nothing happened.
        await deps.journal?.remove(entry.key).catch(() => undefined)
        continue
      }
      if (entry.action === 'acquire') {
        // Every address on the interface means the add went through (even if the journal was not
        // told); removing them again would only make clients lose them twice.
        if (complete) {
          decision = 'finished'
          reason = 'the addresses were added; PostAcq had not run'
          unfinished.push({ entry, steps: ['announce', 'PostAcq', 'notify'] })
        } else {
          decision = 'rolled-back'
          reason = 'the addresses had not all been added; any that were are removed'
        }
      } else if (entry.reached === 'changed' && !complete) {
        decision = 'finished'
        reason = 'the addresses were removed; PostRel had not run'
        unfinished.push({ entry, steps: ['PostRel', 'notify'] })
      } else {
        decision = 'rolled-back'
        reason = complete
          ? 'the addresses are still held; the release will be decided again'
          : 'the release had not completed'
      }
      emit({
        kind: 'checklist-recovered',
        action: entry.action,
        owner: entry.owner,
        addresses,
        decision,
        reason,
      })
      await deps.journal?.remove(entry.key).catch(() => undefined)
    }
    return result
  }

  function finishUnfinished(): void {
    for (const { entry, steps } of unfinished.splice(0)) {
      void runChecklist(
        {
          id: 0,
          action: entry.action,
          owner: entry.owner,
          peer: entry.peer,
          addresses: entry.addresses,
          reason: `finishing after a restart: ${entry.reason}`,
          detectionMs: undefined,
          steps: steps.map((s) =>
            s === 'announce'
              ? { step: 'announce', count: config.announce.count, intervalMs: config.announce.interval }
              : s === 'notify'
                ? { step: 'notify' }
                : { step: 'phase', phase: s },
          ),
        },
        {
          self: config.node,
          address: deps.address,
          hooks,
          emit,
          now: () => clock.now(),
          wallNow: () => clock.wallNow(),
          delay: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
        },
      )
    }
  }

  /** Starts the carrier watch on every interface with an address of this node's; one down now is reported. */
  async function watchCarrier(): Promise<void> {
    if (!deps.carrier) return
    const interfaces = [
      ...new Set([...config.owns, ...config.peers.flatMap((p) => p.takeover)].map((a) => a.interface)),
    ]
    try {
      const now = await deps.carrier.start(interfaces, (iface, up) =>
        apply({ kind: 'carrier', interface: iface, up }),
      )
      for (const [iface, up] of Object.entries(now)) if (!up) apply({ kind: 'carrier', interface: iface, up })
    } catch (error) {
      emit({
        kind: 'error',
        message: `${error instanceof Error ? error.message : String(error)}; carriers are not watched`,
        context: 'carrier watch',
      })
    }
  }

  return {
    async start() {
      if (started) return
      started = true
      const saved = await deps.replayStore?.load().catch(() => undefined)
      if (saved) guard.restore(saved)
      await reconcile()
      await watchCarrier()
      deps.address.prepare?.([...config.owns, ...config.peers.flatMap((p) => p.takeover)])
      try {
        await transport.start(onPacket)
      } catch (error) {
        deps.address.close?.()
        deps.carrier?.close()
        throw error
      }
      apply({ kind: 'listening' })
      for (const owner of Object.keys(state.resources)) arm(owner)
      emit({
        kind: 'agent-started',
        node: config.node,
        intervalMs: config.interval,
        deadAfterMs: config.deadAfter,
        detectionMs: config.deadAfter,
        links: linkNames,
        peers: [...peerIds],
      })
      nextBeatAt = clock.now()
      lastTimerRunAt = nextBeatAt
      beat()
      apply({ kind: 'tick' })
      finishUnfinished()
      if (deps.rehearsal) clock.afterIo(rehearse)
    },
    async stop(opts = {}) {
      const release = opts.release ?? config.onStop === 'release'
      emit({ kind: 'agent-stopping', node: config.node, release })
      apply({ kind: 'stop', release })
      await stoppedPromise
      // A last heartbeat says "stopping" and lists what is still held, so peers act at once.
      sendHeartbeats()
      if (heartbeatTimer) clock.clearTimeout(heartbeatTimer)
      if (deadlineTimer) clock.clearTimeout(deadlineTimer)
      if (rehearsalTimer) clock.clearTimeout(rehearsalTimer)
      heartbeatTimer = undefined
      deadlineTimer = undefined
      await transport.close()
      deps.address.close?.()
      deps.carrier?.close()
      // A clean stop leaves no entry behind: nothing is in the middle of anything.
      for (const [owner, written] of armedEntries) {
        await written
        await deps.journal?.remove(armedKey(owner)).catch(() => undefined)
      }
      armedEntries.clear()
      await saveReplayMarks(true)
    },
    status: () => ({
      ...buildStatus(state, {
        config,
        counters,
        incarnation,
        now: clock.now(),
        wallNow: clock.wallNow(),
        peerWire,
        recent,
      }),
      nextEvaluationInMs: deadlineAt === undefined ? null : deadlineAt - clock.now(),
    }),
    takeover(owner) {
      // Judge the command on the state it will meet: heartbeats already received come first.
      if (pendingBeats.length > 0) flushHeartbeats()
      const refusal = takeoverRefusal(state, owner)
      if (!refusal) apply({ kind: 'takeover', owner })
      return refusal
    },
    release(owner) {
      if (pendingBeats.length > 0) flushHeartbeats()
      const refusal = releaseRefusal(state, owner)
      if (!refusal) apply({ kind: 'release', owner })
      return refusal
    },
    maintenance(on) {
      apply({ kind: 'maintenance', on })
    },
    state: () => state,
    recentEvents: () => [...recent],
    report: emit,
  }
}
