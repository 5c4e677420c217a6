import { HookContractError } from './errors.js'

/** The phases of a failover checklist, named as Apple's /Library/IPFailover scripts are. */
export type HookPhase = 'PreAcq' | 'PostAcq' | 'PreRel' | 'PostRel'
export const HOOK_PHASES: readonly HookPhase[] = ['PreAcq', 'PostAcq', 'PreRel', 'PostRel']

export type HookAction = 'acquire' | 'release'

/** One address of a checklist, as a hook is told it. */
export interface HookAddress {
  readonly interface: string
  readonly ip: string
  readonly prefix: number
}

/** What a hook is told about the failover it is part of. The hooks issue turns this into argv and IPFO_* variables. */
export interface HookContext {
  readonly action: HookAction
  /** The node whose addresses these are (the owner). */
  readonly owner: string
  /** This node. */
  readonly node: string
  /** The peer that was lost or restored, when the checklist was caused by one. */
  readonly peer: string | undefined
  readonly addresses: readonly HookAddress[]
  readonly reason: string
  /** Wall-clock time of the event that caused the checklist (ms since epoch). */
  readonly eventTime: number
  /** How long the peer had been silent when it was declared lost, in ms. */
  readonly detectionMs: number | undefined
  /**
   * Quorum (config `coordination`): the revision of the store's key by which this node holds the
   * addresses, a number that only grows from holder to holder. A hook passes it to storage that
   * accepts writes only with a token at least as new, so an old holder cannot write after losing.
   */
  readonly fencingToken?: string | undefined
}

/** Every phase a hook folder can hold, the gate first. */
export type HookStage = 'Test' | HookPhase
export const HOOK_STAGES: readonly HookStage[] = ['Test', ...HOOK_PHASES]

/**
 * What one hook run receives. The single source of truth for the hook contract: the agent writes it
 * with `hookInvocation`, hooks read it back with `parseHookInvocation` (below), the docs page lists it.
 *
 * argv: `<action> <ip>/<prefix> <interface>` (e.g. `acquire 192.168.1.100/24 eth0`).
 *
 * Environment:
 * - IPFO_PHASE        Test | PreAcq | PostAcq | PreRel | PostRel
 * - IPFO_ACTION       acquire | release
 * - IPFO_ADDRESS      the IP this folder is for, e.g. 192.168.1.100
 * - IPFO_PREFIX       its prefix length, e.g. 24
 * - IPFO_CIDR         192.168.1.100/24
 * - IPFO_INTERFACE    eth0
 * - IPFO_ADDRESSES    every address of the checklist, space-separated `<ip>/<prefix>@<interface>`
 * - IPFO_OWNER        the node whose addresses these are
 * - IPFO_NODE         this node
 * - IPFO_PEER         the peer whose loss or return caused this (empty if none)
 * - IPFO_REASON       why, in words ("peer a lost", "operator release", ...)
 * - IPFO_EVENT_TIME   when the cause happened, ISO 8601 UTC
 * - IPFO_DETECTION_MS how long the peer had been silent when declared lost (empty if not a loss)
 * - IPFO_RESULTS_FILE a JSON-lines file with the results of the hooks run so far in this checklist
 * - IPFO_FENCING_TOKEN with `coordination`: the revision of the key this node holds the addresses by
 *   (a decimal number that grows from holder to holder); empty without it
 * - Apple's names: FAILOVER_PEER_IP_PAIRS=`<interface>:<ip>/<prefix>`, FAILOVER_EMAIL_RECIPIENT
 *   (when configured), so Apple-era scripts keep working.
 */
export interface HookInvocation {
  readonly argv: readonly string[]
  readonly env: Readonly<Record<string, string>>
}

export function hookInvocation(
  stage: HookStage,
  ctx: HookContext,
  address: HookAddress,
  extra: { resultsFile: string; emailRecipient?: string | undefined },
): HookInvocation {
  const cidr = `${address.ip}/${address.prefix}`
  const env: Record<string, string> = {
    IPFO_PHASE: stage,
    IPFO_ACTION: ctx.action,
    IPFO_ADDRESS: address.ip,
    IPFO_PREFIX: String(address.prefix),
    IPFO_CIDR: cidr,
    IPFO_INTERFACE: address.interface,
    IPFO_ADDRESSES: ctx.addresses.map((a) => `${a.ip}/${a.prefix}@${a.interface}`).join(' '),
    IPFO_OWNER: ctx.owner,
    IPFO_NODE: ctx.node,
    IPFO_PEER: ctx.peer ?? '',
    IPFO_REASON: ctx.reason,
    IPFO_EVENT_TIME: new Date(ctx.eventTime).toISOString(),
    IPFO_DETECTION_MS: ctx.detectionMs === undefined ? '' : String(ctx.detectionMs),
    IPFO_RESULTS_FILE: extra.resultsFile,
    IPFO_FENCING_TOKEN: ctx.fencingToken ?? '',
    FAILOVER_PEER_IP_PAIRS: `${address.interface}:${cidr}`,
  }
  if (extra.emailRecipient) env.FAILOVER_EMAIL_RECIPIENT = extra.emailRecipient
  return { argv: [ctx.action, cidr, address.interface], env }
}

/** The events that run the top-level `Notify*` scripts: what an administrator is told about. */
export const NOTIFY_EVENTS = [
  'link-anomaly',
  'link-anomaly-cleared',
  'claim-forced',
  'address-conflict',
  'takeover-refused',
  'paused',
  'carrier-lost',
  'carrier-restored',
  'guard-died',
  'guard-acted',
  'addresses-expired',
  'no-node-fit',
  'unfit',
  'order-mismatch',
  'peer-indirect',
  'quorum-lost',
] as const
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number]

/**
 * What a `Notify*` script (top level of the hooks folder, like Apple's NotifyFailover) receives:
 * argv `<event kind>`; IPFO_PHASE=Notify, IPFO_EVENT (the kind), IPFO_EVENT_JSON (the whole event),
 * IPFO_NODE, IPFO_PEER (when the event names one), IPFO_REASON (one line for people),
 * IPFO_EVENT_TIME, and FAILOVER_EMAIL_RECIPIENT when configured.
 */
export function notifyInvocation(
  event: { readonly kind: string; readonly time: number; readonly peer?: string },
  ctx: { node: string; description: string; emailRecipient?: string | undefined },
): HookInvocation {
  const env: Record<string, string> = {
    IPFO_PHASE: 'Notify',
    IPFO_EVENT: event.kind,
    IPFO_EVENT_JSON: JSON.stringify(event),
    IPFO_NODE: ctx.node,
    IPFO_PEER: event.peer ?? '',
    IPFO_REASON: ctx.description,
    IPFO_EVENT_TIME: new Date(event.time).toISOString(),
  }
  if (ctx.emailRecipient) env.FAILOVER_EMAIL_RECIPIENT = ctx.emailRecipient
  return { argv: [event.kind], env }
}

type Env = Readonly<Record<string, string | undefined>>

const USAGE = 'a hook is run as: <hook> acquire|release <ip>/<prefix> <interface>'

/** What a hook reads back from `hookInvocation`'s argv and environment. */
export interface HookInput {
  /** Undefined when the hook is run by hand without IPFO_PHASE. */
  readonly stage: HookStage | undefined
  readonly action: HookAction
  /** The address this hook folder is for. */
  readonly address: HookAddress
  /** Every address of the checklist (just `address` when IPFO_ADDRESSES is not set). */
  readonly addresses: readonly HookAddress[]
  readonly owner: string | undefined
  readonly node: string | undefined
  readonly peer: string | undefined
  readonly reason: string | undefined
  /** ms since epoch, from IPFO_EVENT_TIME. */
  readonly eventTime: number | undefined
  readonly detectionMs: number | undefined
  readonly resultsFile: string | undefined
  readonly emailRecipient: string | undefined
  /** IPFO_FENCING_TOKEN: with `coordination`, the revision of the key the addresses are held by. */
  readonly fencingToken: string | undefined
}

/**
 * Reads what `hookInvocation` wrote. argv comes first (`$1 $2 $3`, as Apple's scripts get it) and
 * IPFO_ACTION / IPFO_CIDR (or IPFO_ADDRESS + IPFO_PREFIX) / IPFO_INTERFACE stand in for it, so a
 * hook can be run by hand with either. Empty variables read as unset. Throws a HookContractError
 * naming the argument or variable that is missing or malformed.
 */
export function parseHookInvocation(argv: readonly string[], env: Env): HookInput {
  const action = argv[0] ?? env.IPFO_ACTION
  if (action !== 'acquire' && action !== 'release') {
    throw new HookContractError(`the action is "${action ?? ''}", not "acquire" or "release"`, {
      variable: argv[0] === undefined ? 'IPFO_ACTION' : '$1',
      hint: USAGE,
    })
  }
  const cidr = argv[1] ?? env.IPFO_CIDR ?? (env.IPFO_ADDRESS ? `${env.IPFO_ADDRESS}/${env.IPFO_PREFIX}` : '')
  const address = parseAddress(cidr, argv[2] ?? env.IPFO_INTERFACE ?? '')
  if (!address) {
    throw new HookContractError(`the address is "${cidr}", not <ip>/<prefix>`, {
      variable: argv[1] === undefined ? 'IPFO_CIDR' : '$2',
      hint: USAGE,
    })
  }
  const stage = env.IPFO_PHASE || undefined
  if (stage !== undefined && !(HOOK_STAGES as readonly string[]).includes(stage)) {
    throw new HookContractError(`IPFO_PHASE is "${stage}", not one of ${HOOK_STAGES.join(', ')}`, {
      variable: 'IPFO_PHASE',
    })
  }
  return {
    stage: stage as HookStage | undefined,
    action,
    address,
    addresses: parseAddresses(env.IPFO_ADDRESSES) ?? [address],
    owner: env.IPFO_OWNER || undefined,
    node: env.IPFO_NODE || undefined,
    peer: env.IPFO_PEER || undefined,
    reason: env.IPFO_REASON || undefined,
    eventTime: parseTime(env.IPFO_EVENT_TIME),
    detectionMs: parseMs(env, 'IPFO_DETECTION_MS'),
    resultsFile: env.IPFO_RESULTS_FILE || undefined,
    emailRecipient: env.FAILOVER_EMAIL_RECIPIENT || undefined,
    fencingToken: env.IPFO_FENCING_TOKEN || undefined,
  }
}

/** What a `Notify*` script reads back from `notifyInvocation`. */
export interface NotifyInput {
  readonly kind: string
  /** The agent's whole event (IPFO_EVENT_JSON); `{}` when not given. */
  readonly event: Readonly<Record<string, unknown>>
  readonly node: string | undefined
  readonly peer: string | undefined
  readonly reason: string | undefined
  /** ms since epoch, from IPFO_EVENT_TIME. */
  readonly eventTime: number | undefined
  readonly emailRecipient: string | undefined
}

/** Reads what `notifyInvocation` wrote: the kind from IPFO_EVENT, else `$1`, else the event's own. */
export function parseNotifyInvocation(argv: readonly string[], env: Env): NotifyInput {
  let event: unknown
  try {
    event = JSON.parse(env.IPFO_EVENT_JSON || '{}')
  } catch {
    throw new HookContractError('IPFO_EVENT_JSON is not JSON', { variable: 'IPFO_EVENT_JSON' })
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new HookContractError('IPFO_EVENT_JSON is not a JSON object', { variable: 'IPFO_EVENT_JSON' })
  }
  const own = (event as Record<string, unknown>).kind
  const kind = env.IPFO_EVENT || argv[0] || (typeof own === 'string' ? own : '')
  if (!kind) {
    throw new HookContractError('a Notify hook needs IPFO_EVENT (the event kind)', { variable: 'IPFO_EVENT' })
  }
  return {
    kind,
    event: event as Record<string, unknown>,
    node: env.IPFO_NODE || undefined,
    peer: env.IPFO_PEER || undefined,
    reason: env.IPFO_REASON || undefined,
    eventTime: parseTime(env.IPFO_EVENT_TIME),
    emailRecipient: env.FAILOVER_EMAIL_RECIPIENT || undefined,
  }
}

/** `192.168.1.100/24` and an interface; undefined when the text is not `<ip>/<prefix>`. */
function parseAddress(cidr: string, iface: string): HookAddress | undefined {
  const slash = cidr.lastIndexOf('/')
  const ip = cidr.slice(0, slash)
  const prefix = cidr.slice(slash + 1)
  if (slash <= 0 || !/^\d{1,3}$/.test(prefix)) return undefined
  return { interface: iface, ip, prefix: Number(prefix) }
}

/** IPFO_ADDRESSES: `192.168.1.100/24@eth0 fd00::1/64@eth1`; undefined when empty. */
function parseAddresses(text: string | undefined): HookAddress[] | undefined {
  const items = (text ?? '').split(/\s+/).filter(Boolean)
  if (items.length === 0) return undefined
  return items.map((item) => {
    const at = item.lastIndexOf('@')
    const address = at > 0 ? parseAddress(item.slice(0, at), item.slice(at + 1)) : undefined
    if (!address) {
      throw new HookContractError(`IPFO_ADDRESSES has "${item}", not <ip>/<prefix>@<interface>`, {
        variable: 'IPFO_ADDRESSES',
      })
    }
    return address
  })
}

function parseTime(text: string | undefined): number | undefined {
  if (!text) return undefined
  const time = Date.parse(text)
  if (Number.isNaN(time)) {
    throw new HookContractError(`IPFO_EVENT_TIME is "${text}", not an ISO 8601 time`, {
      variable: 'IPFO_EVENT_TIME',
    })
  }
  return time
}

function parseMs(env: Env, variable: 'IPFO_DETECTION_MS'): number | undefined {
  const text = env[variable]
  if (!text) return undefined
  const ms = Number(text)
  if (!Number.isFinite(ms) || ms < 0) {
    throw new HookContractError(`${variable} is "${text}", not a number of milliseconds`, { variable })
  }
  return ms
}
