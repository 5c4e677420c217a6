import { type HookContext, type HookInvocation, type HookStage, hookInvocation } from '@ipfo/core'

/** The checklist of these tests: node b takes over a's addresses on eth0 after a was silent for 3 s. */
const CHECKLIST: HookContext = {
  action: 'acquire',
  owner: 'a',
  node: 'b',
  peer: 'a',
  addresses: [
    { interface: 'eth0', ip: '192.168.1.100', prefix: 24 },
    { interface: 'eth0', ip: 'fd00::100', prefix: 64 },
  ],
  reason: 'peer a lost',
  eventTime: Date.parse('2026-11-25T10:00:00.000Z'),
  detectionMs: 3000,
}

export interface InvocationChanges extends Partial<HookContext> {
  readonly stage?: HookStage
  readonly resultsFile?: string
  readonly emailRecipient?: string
}

/**
 * The argv and environment the agent gives a hook of that checklist for 192.168.1.100/24, written by
 * core's hookInvocation (so the tests follow the contract as the agent writes it); PostAcq unless told.
 */
export function invocation(changes: InvocationChanges = {}): HookInvocation {
  const { stage = 'PostAcq', resultsFile = '', emailRecipient, ...context } = changes
  const ctx = { ...CHECKLIST, ...context }
  return hookInvocation(stage, ctx, ctx.addresses[0]!, { resultsFile, emailRecipient })
}
