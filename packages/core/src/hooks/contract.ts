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
