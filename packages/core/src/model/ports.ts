import type { IpfoEvent } from './events.js'
import type { HealthResult } from './health.js'
import type { HookContext, HookPhase } from './hook-contract.js'
import type { InterfaceAddress } from './ip.js'

/** Opaque handle of a scheduled timer. */
export type TimerHandle = { readonly __timer: unique symbol } | object

/**
 * Time. `now()` is monotonic milliseconds (never jumps with NTP or the admin's `date`); `wallNow()` is
 * the wall clock, used only for what people read (event times) and for packet timestamps.
 */
export interface Clock {
  now(): number
  /** now() with its fraction, for timing steps of a millisecond or two; absent: now(). */
  preciseNow?(): number
  wallNow(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  /** Runs `fn` after pending I/O callbacks (heartbeats queued in a socket) have been delivered. */
  afterIo(fn: () => void): void
  /** CPU time this process has used, in µs (user and system); absent where it cannot tell. */
  cpuMicros?(): number
}

/**
 * Runs the config's health checks by name (issue 19): tcp and http in the agent's own loop, exec
 * through one long-lived helper, so that no check ever starts a process from the agent. A run never
 * rejects and never outlasts its check's timeout by much: a failure is a result.
 */
export interface HealthPort {
  run(check: string): Promise<HealthResult>
  /** Stops what runs (exec checks are killed) and frees the helper. */
  close?(): Promise<void>
}

export interface ReceivedPacket {
  readonly data: Buffer
  readonly from: { readonly address: string; readonly port: number }
  /** Monotonic receive time. */
  readonly at: number
}

/** The heartbeat network: one socket per distinct listen address, sending to each link's targets. */
export interface Transport {
  start(onPacket: (packet: ReceivedPacket) => void): Promise<void>
  /** Sends to every target of the link. Never throws: a failed send is reported through `onError`. */
  send(link: string, data: Buffer): void
  close(): Promise<void>
}

/** Adds, removes, lists and announces addresses on this host's interfaces. */
export interface AddressControl {
  /** The addresses among `candidates` that are on their interface right now. */
  present(candidates: readonly InterfaceAddress[]): Promise<InterfaceAddress[]>
  /**
   * Adds the address; adding one already present is not an error. `announce`: the checklist
   * announces the address right after. A control that can send the first announcement along with the
   * add, without waiting for the add's answer, does so; its next `announce` of the address then sends
   * the rest.
   */
  add(address: InterfaceAddress, opts?: { readonly announce?: boolean }): Promise<void>
  /** Removes the address; removing one already absent is not an error. */
  remove(address: InterfaceAddress): Promise<void>
  /** Gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6), `count` times. */
  announce(address: InterfaceAddress, opts: { count: number; intervalMs: number }): Promise<void>
  /**
   * Every interface and the addresses on it, for the start-up check that each address belongs to a
   * subnet of its interface. Optional: a platform without it skips the check.
   */
  interfaces?(): Promise<Record<string, InterfaceAddress[]>>
  /**
   * Optional: get ready to change and announce these addresses without delay (start long-lived
   * helper processes), so the first takeover does not wait for them. Called once the engine is up.
   */
  prepare?(addresses: readonly InterfaceAddress[]): void
  /** Optional: end what `prepare` started. Called when the engine stops. */
  close?(): void
  /**
   * Optional: go through what adding and announcing these addresses goes through, changing and
   * sending nothing (the engine's takeover rehearsal, engine/rehearsal.ts), so that the real
   * takeover finds that code compiled and its helpers awake.
   */
  rehearse?(addresses: readonly InterfaceAddress[]): Promise<void>
  /**
   * Optional (Linux, with a long-lived `ip -batch`, whose one queue keeps changes in order): the
   * kernel removes the address by itself `seconds` after this call, unless called again; `forever`
   * ends that. The kernel adds an absent address rather than refuse (Linux does, for `ip addr
   * change`), so call it only for an address known to be there (see `lifetimes`).
   */
  setLifetime?(
    address: InterfaceAddress,
    lifetime: AddressLifetime,
    opts?: {
      /** Not sent (and rejected) if it would reach the kernel later than this from now: it may have lapsed by then. */
      readonly sendWithinMs?: number
    },
  ): Promise<void>
  /** Optional, with setLifetime: the candidates on their interface now, with what is left of each one's lifetime. */
  lifetimes?(candidates: readonly InterfaceAddress[]): Promise<PresentAddress[]>
}

/** Whole seconds (the kernel's unit), or no end. */
export type AddressLifetime = number | 'forever'

/** An address found on its interface, with the whole seconds it has left (rounded down), or `forever`. */
export interface PresentAddress {
  readonly address: InterfaceAddress
  readonly left: AddressLifetime
}

/** Checks before an automatic takeover (config `arbitration`), against split brain. */
export interface Arbiter {
  /** Why taking these addresses now would make two holders (one still answers; no witness answers), or undefined. */
  refusal(addresses: readonly InterfaceAddress[]): Promise<string | undefined>
}

/** A checklist that changes addresses, as written down before it starts (see Journal). */
export interface JournalEntry {
  readonly key: string
  readonly action: 'acquire' | 'release'
  readonly owner: string
  readonly peer: string | undefined
  readonly addresses: readonly InterfaceAddress[]
  readonly reason: string
  /**
   * `started`: the address change had not completed; `changed`: it had, the Post phase had not.
   * `armed`: an acquire written down ahead of time, while nothing ran, so that a takeover need not
   * wait for a disk write before its add: found with every address present, the acquire ran and
   * did not finish; found with none, nothing happened.
   * `prepared`: an acquire's first PreAcq script was about to start (written before it starts), so
   * what PreAcq set up may need undoing if the addresses were not all added.
   */
  readonly reached: 'armed' | 'started' | 'prepared' | 'changed'
}

/**
 * Where checklists are written down while they run (files in stateDir), so an agent killed in the
 * middle (a power cut between the address add and PostAcq) can finish or roll back after a restart
 * and say which.
 */
export interface Journal {
  write(entry: JournalEntry): Promise<void>
  remove(key: string): Promise<void>
  /** Entries left by an earlier run that did not finish. */
  leftovers(): Promise<JournalEntry[]>
}

/** Where the replay guard's marks are kept between runs (a file in stateDir). */
export interface ReplayStore {
  load(): Promise<ReplaySnapshot | undefined>
  save(snapshot: ReplaySnapshot): Promise<void>
  /** After the last save: lets go of what the store keeps open. */
  close?(): Promise<void>
}

export type GateVerdict = 'proceed' | 'notify-only'

export interface PhaseOutcome {
  /** False when a strict phase failed: the checklist stops and only notification follows. */
  readonly ok: boolean
  readonly reason?: string
}

/**
 * Where the engine calls the administrator's hooks. The engine awaits these off the heartbeat path:
 * a slow hook delays the checklist it belongs to, never heartbeats or detection.
 */
export interface HooksPort {
  gate(ctx: HookContext): Promise<GateVerdict>
  runPhase(phase: HookPhase, ctx: HookContext, run?: PhaseRun): Promise<PhaseOutcome>
}

export interface PhaseRun {
  /**
   * Awaited once, before the phase's first script starts; not called when the phase has none. The
   * executor writes down there that PreAcq is about to run, so that a restart after a crash knows
   * whether there is something to undo, without a disk write on a takeover that runs no hook.
   */
  readonly beforeFirstScript?: () => Promise<void>
}

/** Receives every event the engine emits: log, mail, metrics and status all read this one stream. */
export type EventSink = (event: IpfoEvent) => void

/** Does nothing and lets every checklist proceed: the default until hooks are configured. */
export const noHooks: HooksPort = {
  gate: async () => 'proceed',
  runPhase: async () => ({ ok: true }),
}

export interface CommandResult {
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a system command (`ip`, `arping`, `ifconfig`) without a shell. Never throws for a non-zero exit. */
export interface CommandRunner {
  run(command: string, args: readonly string[], opts?: { timeoutMs?: number }): Promise<CommandResult>
}

/**
 * One long-lived `ip -batch -` (iproute2): each request is one `ip` command line, answered without
 * starting a process, so the address change of a takeover costs a pipe write and a netlink round trip.
 * The result reads like a CommandRunner's (exit code 0 or 1, iproute2's message on stderr).
 */
export interface IpBatch {
  /**
   * `sendWithinMs`: the command is not sent at all (answered with exit code 1 and "not sent") if it
   * would reach `ip` later than that from now, because it waits behind other commands or the agent
   * was frozen meanwhile.
   */
  run(args: readonly string[], opts?: { timeoutMs?: number; sendWithinMs?: number }): Promise<CommandResult>
  /** Starts the `ip` process now, so the first request does not wait for it. */
  start(): void
  /** Ends the `ip` process; a later request starts a new one. */
  close(): void
}

/**
 * Sends whole link-layer frames on an interface from a long-lived process (`socat` on a packet
 * socket), so a gratuitous ARP leaves a few microseconds after it is asked for instead of after an
 * `arping` process has started.
 */
export interface FrameSender {
  /** Gets a sender ready for this interface now, so the first frame does not wait for it. */
  start(iface: string): void
  /**
   * Hands the frame to the interface's sender. False when there is none that works (not installed,
   * or it exited): the caller announces another way. True means handed over, not acknowledged.
   */
  send(iface: string, frame: Buffer): boolean
  close(): void
}

/**
 * Whether the interfaces this node has addresses on have a carrier (a cable, a switch port up). An
 * interface without one cannot serve an address, and holding one there makes two holders the moment
 * the cable is back.
 */
export interface CarrierWatch {
  /**
   * Starts watching; resolves with the carrier of each of `interfaces` now (one missing from the
   * host counts as down). Afterwards `onChange` is called on every change of one of them.
   */
  start(
    interfaces: readonly string[],
    onChange: (iface: string, up: boolean) => void,
  ): Promise<Record<string, boolean>>
  close(): void
}

/** What `ReplayGuard.snapshot` saves: per node, the highest incarnation and each link's last (incarnation, seq). */
export interface ReplaySnapshot {
  readonly nodes: Record<
    string,
    {
      readonly incarnation: number | null
      readonly links: Record<string, { incarnation: number; seq: number }>
    }
  >
}

/**
 * What the guard (a small perl program beside the agent, see guard/guard-perl.ts) does if the agent
 * dies without a word: it removes `handOver` (addresses a live peer takes on hearing the last word,
 * at once or once its start is done) and keeps `keep` (no peer could take them: better a live service
 * than none).
 */
export interface GuardBrief {
  readonly handOver: readonly InterfaceAddress[]
  readonly keep: readonly InterfaceAddress[]
}

/**
 * One link's last word: a goodbye heartbeat ("stopping", holding nothing) signed in advance, one
 * sequence number after the last heartbeat sent on that link. Any later heartbeat supersedes it.
 */
export interface LastWord {
  readonly link: string
  readonly data: Uint8Array
}

/** How the engine keeps its guard told. Both calls are cheap and never wait. */
export interface GuardPort {
  /** Called when the brief changes. */
  brief(brief: GuardBrief): void
  /** Called after every heartbeat, with the last words that now supersede the previous ones. */
  lastWord(words: readonly LastWord[]): void
}

/**
 * The steps of an acquire's path inside the agent (a takeover's, but a claim of the node's own
 * addresses or a failback too), in order: the machine decided to acquire, the acquire checklist
 * started (its part before the first await), the guard was told (when there is one), the first add
 * was handed to the kernel (or to `ip -batch`), the gratuitous ARP sent with it to its sender.
 */
export type TakeoverStep = 'decided' | 'checklist' | 'guard' | 'add' | 'frame'

/**
 * Marks along a takeover's path, for measuring it (adapters/takeover-trace.ts, the agent's
 * `traceTakeovers`); absent, nothing is marked. Both calls are cheap and never wait.
 */
export interface TakeoverTrace {
  /** The start of every turn of the engine: a decision is timed from the start of its turn. */
  turn(): void
  mark(step: TakeoverStep): void
}
