import type { HookContext, HookPhase } from '../../src/model/hook-contract.js'
import type { GateVerdict, HooksPort, PhaseOutcome, PhaseRun } from '../../src/model/ports.js'

/** A hooks port that records calls in order and answers as configured. */
export class RecordingHooks implements HooksPort {
  readonly calls: { what: HookPhase | 'Test'; action: HookContext['action']; owner: string }[] = []
  verdict: GateVerdict = 'proceed'
  failing = new Set<HookPhase>()
  /** Phases whose folder has no script: `run.beforeFirstScript` is not called for them. */
  withoutScripts = new Set<HookPhase>()

  constructor(private readonly onCall?: (what: HookPhase | 'Test') => void) {}

  async gate(ctx: HookContext): Promise<GateVerdict> {
    this.calls.push({ what: 'Test', action: ctx.action, owner: ctx.owner })
    this.onCall?.('Test')
    return this.verdict
  }

  /** Each phase has one script unless `withoutScripts` says not: `run.beforeFirstScript` comes first. */
  async runPhase(phase: HookPhase, ctx: HookContext, run?: PhaseRun): Promise<PhaseOutcome> {
    if (!this.withoutScripts.has(phase)) await run?.beforeFirstScript?.()
    this.calls.push({ what: phase, action: ctx.action, owner: ctx.owner })
    this.onCall?.(phase)
    return this.failing.has(phase) ? { ok: false, reason: `${phase} failed` } : { ok: true }
  }
}
