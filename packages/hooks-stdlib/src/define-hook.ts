import { readFile } from 'node:fs/promises'
import type { CommandRunner } from '@ipfo/core'
import { HookContractError } from '@ipfo/core/errors'
import {
  type HookAction,
  type HookAddress,
  type HookStage,
  parseHookInvocation,
  parseNotifyInvocation,
} from '@ipfo/core/hook-contract'
import { parseResultLines, type RecordedHookResult } from '@ipfo/core/hook-results'
import type { z } from 'zod'
import { HookInputError } from './errors.js'

/** Gate and phases (as ipfo names the scripts of a hook folder), actions, addresses: the contract's. */
export type { HookAction, HookAddress, HookStage }

/** One line of IPFO_RESULTS_FILE: a hook that already ran in this checklist. */
export type HookResult = RecordedHookResult

/** What a hook is told, read from the contract's argv and IPFO_* / FAILOVER_* variables. */
export interface HookEvent {
  /** Undefined when the hook is run by hand without IPFO_PHASE. */
  readonly phase: HookStage | undefined
  readonly action: HookAction
  /** The address this hook folder is for. */
  readonly address: string
  readonly prefix: number
  readonly cidr: string
  readonly interface: string
  /** Every address of the checklist. */
  readonly addresses: readonly HookAddress[]
  readonly owner: string | undefined
  readonly node: string | undefined
  readonly peer: string | undefined
  readonly reason: string | undefined
  /** ISO 8601, as IPFO_EVENT_TIME gives it. */
  readonly eventTime: string | undefined
  readonly detectionMs: number | undefined
  readonly results: readonly HookResult[]
  readonly emailRecipient: string | undefined
  /** With quorum (`coordination`): the revision of the key the addresses are held by (IPFO_FENCING_TOKEN). */
  readonly fencingToken: string | undefined
}

export interface HookOutcome {
  readonly ok: boolean
  /** One line, printed on stdout (the agent puts it in the hook-finished event). */
  readonly summary: string
  readonly details?: Readonly<Record<string, unknown>>
}

/** What a hook touches, passed in so tests give fakes. */
export interface HookDeps {
  readonly runner: CommandRunner
  readonly env: Readonly<Record<string, string | undefined>>
  readonly fetch: typeof fetch
  readonly now: () => number
  readonly sleep: (ms: number) => Promise<void>
  /** A line of output (stdout; the agent keeps it in the hook-finished event). */
  readonly print: (line: string) => void
  /** A progress or warning line (stderr). */
  readonly note: (line: string) => void
}

/**
 * What a top-level `Notify*` script is told (IPFO_PHASE=Notify): an event no checklist covers, such
 * as a link anomaly. `event` is the agent's event as JSON (IPFO_EVENT_JSON).
 */
export interface NoticeEvent {
  readonly kind: string
  readonly node: string | undefined
  readonly peer: string | undefined
  readonly reason: string | undefined
  readonly eventTime: string | undefined
  readonly event: Readonly<Record<string, unknown>>
  readonly emailRecipient: string | undefined
}

export interface HookDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string
  readonly description: string
  /** The sidecar options (`<script>.json`), as a zod schema. */
  readonly options: S
  run(event: HookEvent, options: z.output<S>, deps: HookDeps): Promise<HookOutcome>
  /** For hooks that can also be `Notify*` scripts (the email hook). */
  notify?(notice: NoticeEvent, options: z.output<S>, deps: HookDeps): Promise<HookOutcome>
}

/** Reads a Notify script's contract (core's parseNotifyInvocation): IPFO_EVENT, IPFO_EVENT_JSON, ... */
export function readNoticeEvent(env: Env, argv: readonly string[] = []): NoticeEvent {
  const notice = asHookInput(() => parseNotifyInvocation(argv, env))
  return { ...notice, eventTime: isoTime(notice.eventTime) }
}

/** Declares a hook; its executable is `runHookMain(hook)`, its options come from the sidecar file. */
export function defineHook<S extends z.ZodType>(definition: HookDefinition<S>): HookDefinition<S> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(definition.name)) {
    throw new Error(`hook name "${definition.name}" must be lower-case letters, digits and "-"`)
  }
  return Object.freeze({ ...definition })
}

type Env = Readonly<Record<string, string | undefined>>

/**
 * Reads the hook contract with core's parseHookInvocation: argv `<action> <ip>/<prefix> <interface>`
 * (Apple's scripts get the same), falling back to IPFO_ACTION / IPFO_CIDR / IPFO_INTERFACE, and the
 * other IPFO_* variables. The results of earlier hooks come from IPFO_RESULTS_FILE when it exists.
 */
export async function readHookEvent(env: Env, argv: readonly string[]): Promise<HookEvent> {
  const input = asHookInput(() => parseHookInvocation(argv, env))
  const { ip, prefix } = input.address
  return {
    phase: input.stage,
    action: input.action,
    address: ip,
    prefix,
    cidr: `${ip}/${prefix}`,
    interface: input.address.interface,
    addresses: input.addresses,
    owner: input.owner,
    node: input.node,
    peer: input.peer,
    reason: input.reason,
    eventTime: isoTime(input.eventTime),
    detectionMs: input.detectionMs,
    results: input.resultsFile ? await readResults(input.resultsFile) : [],
    emailRecipient: input.emailRecipient,
    fencingToken: input.fencingToken,
  }
}

/** A contract error is bad input to the hook: exit 2 with the message and hint, as any other. */
function asHookInput<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (!(error instanceof HookContractError)) throw error
    throw new HookInputError(error.message, { ...(error.hint ? { hint: error.hint } : {}), cause: error })
  }
}

/** IPFO_EVENT_TIME as the agent writes it: ISO 8601 UTC. */
function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString()
}

/** The lines of IPFO_RESULTS_FILE; a missing file (no hook ran yet) reads as none. */
async function readResults(file: string): Promise<HookResult[]> {
  return parseResultLines(await readFile(file, 'utf8').catch(() => ''))
}
