import { loadavg } from 'node:os'
import { awaitFaultMoment, awaitSettled } from './fault-timing.js'
import { holdersAt } from './monitor.js'
import { killNode, rebootNode } from './node-death.js'
import { type Answers, doubleAnswers, doubleUnicast, firstAnswer, longestGap } from './probe/answers.js'
import { startClientProbe } from './probe/client-probe.js'
import type { RunAftermath, RunOptions } from './run-once.js'
import type { Setting } from './settings.js'
import type { NodeName } from './stage.js'
import { roundMs } from './stats.js'
import { type TakeoverSteps, takeoverSteps } from './takeover-steps.js'
import { sleep, until, wallNow } from './wait.js'
import { logTail, type StageContext, withStage } from './with-stage.js'

/** One node death in a run of the three-node topology: the holder dies, the next node takes over. */
export interface Failover {
  /** The node that died (it held the VIP) and the one that should take it over. */
  readonly from: NodeName
  readonly to: NodeName
  /** Longest time without an answer from the fault until the next fault or the reboot (ms); null when `to` never answered. */
  readonly outageMs: number | null
  /** How long pulling the cables took (ms). */
  readonly cutMs: number
  /** The random wait between the client hearing `from` and the fault. */
  readonly faultDelayMs: number
  readonly steps: TakeoverSteps
  /** Who had the VIP on their interfaces at the fault (ip monitor). */
  readonly holdersAtFault: readonly NodeName[]
}

/**
 * A run of the three-node topology (issue 20): a dies (the first failover, to b), then b dies while
 * a is still dead (the second, to c); then a and b reboot and a takes the VIP back.
 */
export interface ThreeRunResult extends RunAftermath {
  readonly first: Failover
  /** Null when b never took over: then there was no holder to kill. */
  readonly second: Failover | null
  /** Broadcast probes answered by two nodes or more: from the first fault to the reboot, and after it. */
  readonly doubleAnswers: { readonly takeover: number; readonly return: number }
  readonly doubleUnicast: number
}

export function runThree(setting: Setting, opts: RunOptions): Promise<ThreeRunResult> {
  return withStage(setting, opts.startTimeoutMs, (ctx) => measureThree(ctx, opts), { topology: 'three' })
}

/** A node death the run has caused, before its outage can be measured (the window ends later). */
interface Death {
  readonly from: NodeName
  readonly to: NodeName
  readonly tFault: number
  readonly tCut: number
  readonly faultDelayMs: number
  readonly tookOver: boolean
}

async function measureThree(ctx: StageContext, opts: RunOptions): Promise<ThreeRunResult> {
  const { stage, daemons, monitors } = ctx
  const loadAverage = Math.round(loadavg()[0]! * 100) / 100
  const probe = await startClientProbe(stage, opts.probeEveryMs)
  const { answers } = probe
  const kill = async (from: NodeName, to: NodeName): Promise<Death> => {
    const faultDelayMs = await awaitFaultMoment(answers, from, opts.faultJitterMs)
    const tFault = wallNow()
    const tCut = await killNode(ctx, from)
    const tookOver = await until(
      () => firstAnswer(answers, to, tCut) !== undefined,
      opts.takeoverTimeoutMs,
      2,
    )
    return { from, to, tFault, tCut, faultDelayMs, tookOver }
  }
  try {
    const first = await kill('a', 'b')
    const second = first.tookOver ? await kill('b', 'c') : undefined
    await sleep(300)
    const holdersBeforeReturn = await stage.holders()

    const tReturn = wallNow()
    await Promise.all((['a', 'b'] as const).map((node) => rebootNode(ctx, node)))
    const settled = await awaitSettled(stage, answers, tReturn, opts.returnTimeoutMs)
    const tSettled = wallNow()
    await sleep(500) // a late flap still counts
    const holdersAtEnd = await stage.holders()
    await probe.stop()
    const tEnd = wallNow()

    const failover = (death: Death, until: number): Failover => {
      const outage = longestGap(answers, death.tFault - 100, until)
      const { from, to, tFault, tCut } = death
      return {
        from,
        to,
        outageMs: death.tookOver ? roundMs(outage.ms) : null,
        cutMs: roundMs(tCut - tFault),
        faultDelayMs: death.faultDelayMs,
        steps: takeoverSteps(ctx, answers, { from, to, tFault, tCut, outageStart: outage.from?.at ?? tCut }),
        holdersAtFault: holdersAt(monitors.addresses, tFault),
      }
    }
    const doubles = {
      takeover: doubleAnswers(answers, first.tFault, tReturn),
      return: doubleAnswers(answers, tReturn, tEnd),
    }
    const wentWell = second?.tookOver && settled && doubles.takeover + doubles.return === 0
    return {
      first: failover(first, second?.tFault ?? tReturn),
      second: second ? failover(second, tReturn) : null,
      doubleAnswers: doubles,
      doubleUnicast: doubleUnicast(answers),
      holdersBeforeReturn,
      returnOutageMs: roundMs(longestGap(answers, tReturn, tSettled).ms),
      returnCensored: !settled,
      holdersAtEnd,
      probes: probed(answers),
      loadAverage,
      ...(wentWell ? {} : { logTail: logTail(daemons, 40) }),
    }
  } finally {
    await probe.stop()
  }
}

const probed = (answers: Answers) => ({ sent: answers.sent, answered: answers.unicast.length })
