import { loadavg } from 'node:os'
import { awaitFaultMoment, awaitSettled } from './fault-timing.js'
import type { Fault } from './faults.js'
import { type AddressEvent, bothHeldMs, holdersAt } from './monitor.js'
import { killNode, rebootNode } from './node-death.js'
import { healPartition, partition } from './partition.js'
import { doubleAnswers, doubleUnicast, firstAnswer, longestGap } from './probe/answers.js'
import { startClientProbe } from './probe/client-probe.js'
import type { Setting } from './settings.js'
import type { NodeName } from './stage.js'
import { roundMs } from './stats.js'
import { type TakeoverSteps, takeoverSteps } from './takeover-steps.js'
import { sleep, until, wallNow } from './wait.js'
import { logTail, type StageContext, withStage } from './with-stage.js'

export interface RunOptions {
  readonly probeEveryMs: number
  readonly startTimeoutMs: number
  readonly takeoverTimeoutMs: number
  /** How long a link cut lasts after b has taken over. */
  readonly splitHoldMs: number
  /** How long after failback or heal the client may stay unanswered before the run gives up waiting. */
  readonly returnTimeoutMs: number
  /**
   * The fault comes after a random wait of up to this long. Daemons start on a fixed schedule, so
   * without it every run would hit the same point of the heartbeat cycle and measure one phase only.
   */
  readonly faultJitterMs: number
}

export interface RunResult extends RunAftermath {
  readonly fault: Fault
  /** Longest time without an answer around the fault (ms); null when b never answered. */
  readonly outageMs: number | null
  /**
   * How long pulling the cables took (ms). The steps are looked for from the fault's start: on a busy
   * machine b may act before the cut's last command returns.
   */
  readonly cutMs: number
  /** The random wait between the client's first answer and the fault. */
  readonly faultDelayMs: number
  /** b's takeover, from a's last answer. */
  readonly steps: TakeoverSteps
  /** Broadcast probes answered by both nodes: from the fault to the return, and after it. */
  readonly doubleAnswers: { readonly takeover: number; readonly return: number }
  readonly doubleUnicast: number
  /**
   * Both nodes had the VIP on their interfaces (ms): after a's revival (node death), from the cut on
   * (link cut), from the crash or the service's death until the restart (daemon crash, service death).
   */
  readonly bothHeldMs: number
  /**
   * Who had the VIP on their interfaces at the fault (ip monitor): b too when it had taken the VIP
   * without a fault just before (a false takeover), so that no "VIP added" step follows.
   */
  readonly holdersAtFault: readonly NodeName[]
  /**
   * The VIP's move between the interfaces (ip monitor), ms from the cut: a's first removal and b's
   * first add before the return, and the gap between them (null: a kept it, or b never added it).
   * A negative gap is an overlap: b added the VIP while a still had it.
   */
  readonly handover: Handover
  /** Quorum settings: what etcd and the leases did during the run. */
  readonly quorum?: QuorumRun
}

export interface Handover {
  readonly droppedMs: number | null
  readonly addedMs: number | null
  readonly gapMs: number | null
}

export interface QuorumRun {
  /** Raft terms the cluster went through during the run (each is an election; null: not read). */
  readonly elections: number | null
  /**
   * Leases that lapsed where no fault explains it: "quorum-lost" logged by a before the fault or by
   * b at any time (an etcd election or a starved agent longer than the lease's margin allows).
   */
  readonly lapses: number
}

/** What a run measured after its faults, the same for the pair and for three nodes. */
export interface RunAftermath {
  /** Who had the VIP on their interfaces just before the node (or the cables) came back. */
  readonly holdersBeforeReturn: readonly NodeName[]
  /**
   * Longest unanswered time after failback (node death, service death), heal (link cut) or the
   * daemon's restart (daemon crash).
   */
  readonly returnOutageMs: number
  /** True when the client was still unanswered when returnTimeoutMs ran out. */
  readonly returnCensored: boolean
  readonly holdersAtEnd: readonly NodeName[]
  readonly probes: { readonly sent: number; readonly answered: number }
  /** The machine's 1-minute load average when the run started (other work skews timings). */
  readonly loadAverage: number
  /** With --quiet: how busy other work kept the CPU (%) just before the run. */
  readonly backgroundBusyPercent?: number
  /** The daemons' last output lines, kept for runs that went wrong. */
  readonly logTail?: string
}

export function runOnce(setting: Setting, fault: Fault, opts: RunOptions): Promise<RunResult> {
  return withStage(setting, opts.startTimeoutMs, (ctx) => measure(ctx, fault, opts), {
    serviceCheck: fault === 'service-death',
  })
}

async function measure(ctx: StageContext, fault: Fault, opts: RunOptions): Promise<RunResult> {
  const { stage, daemons, monitors, services, etcd } = ctx
  const loadAverage = Math.round(loadavg()[0]! * 100) / 100
  const termAtStart = await etcd?.term()
  const tStart = wallNow()
  const probe = await startClientProbe(stage, opts.probeEveryMs)
  const { answers } = probe
  try {
    // Found now, not between the fault's moment and the cut: a search the other systems need not make.
    const outside = fault === 'node-death' ? await daemons.outliving('a') : []
    const faultDelayMs = await awaitFaultMoment(answers, 'a', opts.faultJitterMs)

    const tFault = wallNow()
    // Now: a's log is its first daemon's only until a node death reboots it.
    const lapsesBeforeFault = etcd ? quorumLost(daemons, 'a', tStart, tFault) : 0
    // A crash is its own cut: what follows it (ipfo's guard, b's takeover) may come before kill() returns.
    const crash = fault === 'daemon-crash' || fault === 'service-death'
    let cutAt: number | undefined
    if (fault === 'daemon-crash') await daemons.kill('a')
    else if (fault === 'service-death') await services.kill('a')
    else if (fault === 'partition') await partition(stage, 'a')
    else if (fault === 'node-death') cutAt = await killNode(ctx, 'a', outside)
    else await stage.cut('a')
    const tCut = crash ? tFault : (cutAt ?? wallNow())
    const tookOver = await until(
      () => firstAnswer(answers, 'b', tCut) !== undefined,
      opts.takeoverTimeoutMs,
      2,
    )
    await sleep(fault === 'link-cut' || fault === 'partition' ? opts.splitHoldMs : 300)
    const holdersBeforeReturn = await stage.holders()

    const tReturn = wallNow()
    if (fault === 'node-death') {
      await rebootNode(ctx, 'a')
    } else if (fault === 'daemon-crash') {
      await daemons.forgetRuntime('a')
      daemons.start('a')
    } else if (fault === 'service-death') {
      await services.start('a')
    } else if (fault === 'partition') {
      await healPartition(stage, 'a')
    } else {
      await stage.reconnect('a')
    }
    const settled = await awaitSettled(stage, answers, tReturn, opts.returnTimeoutMs)
    const tSettled = wallNow()
    await sleep(500) // a late flap still counts
    const holdersAtEnd = await stage.holders()
    await probe.stop()
    const tEnd = wallNow()
    const termAtEnd = await etcd?.term()

    const outage = longestGap(answers, tFault - 100, tReturn)
    const outageStart = outage.from?.at ?? tCut
    const doublesAtTakeover = doubleAnswers(answers, tFault, tReturn)
    const doublesAtReturn = doubleAnswers(answers, tReturn, tEnd)
    const doubles = doublesAtTakeover + doublesAtReturn
    return {
      fault,
      outageMs: tookOver ? roundMs(outage.ms) : null,
      cutMs: roundMs(tCut - tFault),
      faultDelayMs,
      steps: takeoverSteps(ctx, answers, { from: 'a', to: 'b', tFault, tCut, outageStart }),
      doubleAnswers: { takeover: doublesAtTakeover, return: doublesAtReturn },
      doubleUnicast: doubleUnicast(answers),
      bothHeldMs: roundMs(bothHeldDuring(fault, monitors.addresses, { tFault, tCut, tReturn, tEnd })),
      holdersAtFault: holdersAt(monitors.addresses, tFault),
      handover: handover(monitors.addresses, tCut, tReturn),
      ...(etcd
        ? {
            quorum: {
              elections:
                termAtStart === undefined || termAtEnd === undefined ? null : termAtEnd - termAtStart,
              lapses: lapsesBeforeFault + quorumLost(daemons, 'b', tStart, Number.POSITIVE_INFINITY),
            },
          }
        : {}),
      holdersBeforeReturn,
      returnOutageMs: roundMs(longestGap(answers, tReturn, tSettled).ms),
      returnCensored: !settled,
      holdersAtEnd,
      probes: { sent: answers.sent, answered: answers.unicast.length },
      loadAverage,
      // A run that went wrong (no takeover, no settling, two nodes answering) keeps the daemons' last words.
      ...(tookOver && settled && doubles === 0
        ? {}
        : { logTail: logTail(daemons, 40) + (etcd ? `\n${etcd.log()}` : '') }),
    }
  } finally {
    await probe.stop()
  }
}

/** a's first removal of the VIP and b's first add in [tCut, tReturn], from the cut (see RunResult.handover). */
export function handover(events: readonly AddressEvent[], tCut: number, tReturn: number): Handover {
  const first = (node: NodeName, kind: AddressEvent['kind']) =>
    events.find((e) => e.node === node && e.kind === kind && e.at >= tCut && e.at <= tReturn)?.at
  const dropped = first('a', 'del')
  const added = first('b', 'add')
  return {
    droppedMs: dropped === undefined ? null : roundMs(dropped - tCut),
    addedMs: added === undefined ? null : roundMs(added - tCut),
    gapMs: dropped === undefined || added === undefined ? null : roundMs(added - dropped),
  }
}

/** How many times the node's agent logged "quorum-lost" in [from, to]. */
function quorumLost(daemons: StageContext['daemons'], node: NodeName, from: number, to: number): number {
  return daemons
    .log(node)
    .filter((l) => l.at >= from && l.at <= to && l.text.includes('"kind":"quorum-lost"')).length
}

/**
 * Which both-held time a fault reports: after a node's death, from its return (its VIP is gone until
 * then); after a link cut or a partition, from the cut on (the split brain); after a daemon's crash or the service's
 * death, from then until the daemon or the service starts again (a's VIP outliving its daemon, or
 * staying on a node that cannot serve it; what follows the restart is failback, counted by the double
 * answers).
 */
function bothHeldDuring(
  fault: Fault,
  events: readonly AddressEvent[],
  t: { tFault: number; tCut: number; tReturn: number; tEnd: number },
): number {
  if (fault === 'node-death') return bothHeldMs(events, t.tReturn, t.tEnd)
  if (fault === 'link-cut' || fault === 'partition') return bothHeldMs(events, t.tCut, t.tEnd)
  return bothHeldMs(events, t.tFault, t.tReturn)
}
