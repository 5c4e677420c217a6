import type { HookContext, HookPhase } from '../../src/model/hook-contract.js'
import type { GateVerdict, HooksPort, PhaseOutcome } from '../../src/model/ports.js'

/** A hooks port that records calls in order and answers as configured. */
export class RecordingHooks implements HooksPort {
  readonly calls: { what: HookPhase | 'Test'; action: HookContext['action']; owner: string }[] = []
  verdict: GateVerdict = 'proceed'
  failing = new Set<HookPhase>()

  constructor(private readonly onCall?: (what: HookPhase | 'Test') => void) {}

  async gate(ctx: HookContext): Promise<GateVerdict> {
    this.calls.push({ what: 'Test', action: ctx.action, owner: ctx.owner })
    this.onCall?.('Test')
    return this.verdict
  }

  async runPhase(phase: HookPhase, ctx: HookContext): Promise<PhaseOutcome> {
    this.calls.push({ what: phase, action: ctx.action, owner: ctx.owner })
    this.onCall?.(phase)
    return this.failing.has(phase) ? { ok: false, reason: `${phase} failed` } : { ok: true }
  }
}
