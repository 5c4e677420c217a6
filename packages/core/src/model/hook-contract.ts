/** The phases of a failover checklist, named as Apple's /Library/IPFailover scripts are. */
export type HookPhase = 'PreAcq' | 'PostAcq' | 'PreRel' | 'PostRel'
export const HOOK_PHASES: readonly HookPhase[] = ['PreAcq', 'PostAcq', 'PreRel', 'PostRel']

export type HookAction = 'acquire' | 'release'

/** What a hook is told about the failover it is part of. The hooks issue turns this into argv and IPFO_* variables. */
export interface HookContext {
  readonly action: HookAction
  /** The node whose addresses these are (the owner). */
  readonly owner: string
  /** This node. */
  readonly node: string
  /** The peer that was lost or restored, when the checklist was caused by one. */
  readonly peer: string | undefined
  readonly addresses: readonly { readonly interface: string; readonly ip: string; readonly prefix: number }[]
  readonly reason: string
  /** Wall-clock time of the event that caused the checklist (ms since epoch). */
  readonly eventTime: number
  /** How long the peer had been silent when it was declared lost, in ms. */
  readonly detectionMs: number | undefined
}

/** Every phase a hook folder can hold, the gate first. */
export type HookStage = 'Test' | HookPhase

/**
 * What one hook run receives. The single source of truth for the hook contract: the docs page and
 * every stdlib hook read these names.
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
  address: HookContext['addresses'][number],
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
