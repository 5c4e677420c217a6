import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { HookInputError } from './errors.js'
import type { CommandRunner } from './runner.js'

/** Gate and phases, as ipfo names the scripts of a hook folder. */
export type HookStage = 'Test' | 'PreAcq' | 'PostAcq' | 'PreRel' | 'PostRel'
export type HookAction = 'acquire' | 'release'

const STAGES: readonly string[] = ['Test', 'PreAcq', 'PostAcq', 'PreRel', 'PostRel']

export interface HookAddress {
  readonly ip: string
  readonly prefix: number
  readonly interface: string
}

/** One line of IPFO_RESULTS_FILE: a hook that already ran in this checklist. */
export interface HookResult {
  readonly phase: string | undefined
  readonly script: string
  readonly exitCode: number | null
  readonly signal: string | null
  readonly durationMs: number | undefined
  readonly timedOut: boolean
}

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

/** Reads a Notify script's contract: IPFO_EVENT, IPFO_EVENT_JSON and the other variables. */
export function readNoticeEvent(env: Env): NoticeEvent {
  let event: Record<string, unknown> = {}
  try {
    event = JSON.parse(env.IPFO_EVENT_JSON ?? '{}') as Record<string, unknown>
  } catch {
    throw new HookInputError('IPFO_EVENT_JSON is not JSON')
  }
  const kind = env.IPFO_EVENT ?? (typeof event.kind === 'string' ? event.kind : '')
  if (!kind) throw new HookInputError('a Notify hook needs IPFO_EVENT (the event kind)')
  return {
    kind,
    node: env.IPFO_NODE || undefined,
    peer: env.IPFO_PEER || undefined,
    reason: env.IPFO_REASON || undefined,
    eventTime: env.IPFO_EVENT_TIME || undefined,
    event,
    emailRecipient: env.FAILOVER_EMAIL_RECIPIENT || undefined,
  }
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
 * Reads the hook contract: argv `<action> <ip>/<prefix> <interface>` (Apple's scripts get the same),
 * falling back to IPFO_ACTION / IPFO_CIDR / IPFO_INTERFACE, and the other IPFO_* variables. The results
 * of earlier hooks come from IPFO_RESULTS_FILE when it exists.
 */
export async function readHookEvent(env: Env, argv: readonly string[]): Promise<HookEvent> {
  const action = argv[0] ?? env.IPFO_ACTION
  if (action !== 'acquire' && action !== 'release') {
    throw new HookInputError(`the action is "${action ?? ''}", not "acquire" or "release"`, {
      hint: 'a hook is run as: <hook> acquire|release <ip>/<prefix> <interface>',
    })
  }
  const cidr = argv[1] ?? env.IPFO_CIDR ?? (env.IPFO_ADDRESS ? `${env.IPFO_ADDRESS}/${env.IPFO_PREFIX}` : '')
  const [ip = '', prefixText = ''] = cidr.split('/')
  const prefix = Number(prefixText)
  if (ip === '' || !/^\d{1,3}$/.test(prefixText)) {
    throw new HookInputError(`the address is "${cidr}", not <ip>/<prefix>`, {
      hint: 'a hook is run as: <hook> acquire|release <ip>/<prefix> <interface>',
    })
  }
  const iface = argv[2] ?? env.IPFO_INTERFACE ?? ''
  const phase = env.IPFO_PHASE
  if (phase !== undefined && phase !== '' && !STAGES.includes(phase)) {
    throw new HookInputError(`IPFO_PHASE is "${phase}", not one of ${STAGES.join(', ')}`)
  }
  const detection = env.IPFO_DETECTION_MS ? Number(env.IPFO_DETECTION_MS) : undefined
  return {
    phase: phase ? (phase as HookStage) : undefined,
    action,
    address: ip,
    prefix,
    cidr: `${ip}/${prefix}`,
    interface: iface,
    addresses: parseAddresses(env.IPFO_ADDRESSES) ?? [{ ip, prefix, interface: iface }],
    owner: env.IPFO_OWNER || undefined,
    node: env.IPFO_NODE || undefined,
    peer: env.IPFO_PEER || undefined,
    reason: env.IPFO_REASON || undefined,
    eventTime: env.IPFO_EVENT_TIME || undefined,
    detectionMs: detection !== undefined && Number.isFinite(detection) ? detection : undefined,
    results: env.IPFO_RESULTS_FILE ? await readResults(env.IPFO_RESULTS_FILE) : [],
    emailRecipient: env.FAILOVER_EMAIL_RECIPIENT || undefined,
  }
}

/** `192.168.1.100/24@eth0 fd00::1/64@eth1` to addresses; undefined when empty. */
function parseAddresses(text: string | undefined): HookAddress[] | undefined {
  const list = (text ?? '').split(/\s+/).filter(Boolean)
  if (list.length === 0) return undefined
  return list.map((item) => {
    const [cidr = '', iface = ''] = item.split('@')
    const [ip = '', prefix = ''] = cidr.split('/')
    return { ip, prefix: Number(prefix), interface: iface }
  })
}

/** The JSON lines of IPFO_RESULTS_FILE; a missing file (no hook ran yet) or a torn line is skipped. */
async function readResults(file: string): Promise<HookResult[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const results: HookResult[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let value: Record<string, unknown>
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }
    if (typeof value !== 'object' || value === null || typeof value.script !== 'string') continue
    results.push({
      phase: typeof value.phase === 'string' ? value.phase : undefined,
      script: value.script,
      exitCode: typeof value.exitCode === 'number' ? value.exitCode : null,
      signal: typeof value.signal === 'string' ? value.signal : null,
      durationMs: typeof value.durationMs === 'number' ? value.durationMs : undefined,
      timedOut: value.timedOut === true,
    })
  }
  return results
}
