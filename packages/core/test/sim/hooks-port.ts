import type { HookContext, HookPhase } from '../../src/model/hook-contract.js'
import type { GateVerdict, HooksPort, PhaseOutcome, PhaseRun } from '../../src/model/ports.js'
import type { AgentContext } from './agent-context.js'
import type { HookStage, Latencies } from './schedule.js'

/** What a hooks fault makes the administrator's scripts do while it lasts. */
export interface HookBehaviour {
  readonly slowMs: number
  readonly fail: ReadonlySet<HookPhase>
  readonly refuse: 'acquire' | 'release' | 'both' | undefined
}

export interface HooksWorld {
  readonly latency: Latencies
  behaviour(): HookBehaviour
  /** Every hook run, as it starts: the hook-order invariant reads these. */
  onRun(stage: HookStage, ctx: HookContext): void
}

/** The hook folder of a simulated node: Test and the four phases, each taking its time. */
export function hooksPort(ctx: AgentContext, world: HooksWorld): HooksPort {
  return {
    gate: (hook: HookContext): Promise<GateVerdict> => {
      const b = world.behaviour()
      if (ctx.live) world.onRun('Test', hook)
      const refused = b.refuse === 'both' || b.refuse === hook.action
      return ctx.after(world.latency.hookMs.Test + b.slowMs, () => (refused ? 'notify-only' : 'proceed'))
    },
    runPhase: async (phase: HookPhase, hook: HookContext, run?: PhaseRun): Promise<PhaseOutcome> => {
      // Every simulated phase has a script: what the executor writes down before it comes first.
      await run?.beforeFirstScript?.()
      const b = world.behaviour()
      if (ctx.live) world.onRun(phase, hook)
      const failed = b.fail.has(phase)
      return ctx.after(world.latency.hookMs[phase] + b.slowMs, () =>
        failed ? { ok: false, reason: `strict ${phase} hook exited 1` } : { ok: true },
      )
    },
  }
}
