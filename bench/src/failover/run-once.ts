import { loadavg } from 'node:os'
import type { Fault } from './faults.js'
import { type AddressEvent, bothHeldMs, holdersAt } from './monitor.js'
import { doubleAnswers, doubleUnicast, firstAnswer, lastAnswer, longestGap } from './probe/answers.js'
import { startClientProbe } from './probe/client-probe.js'
import type { Setting } from './settings.js'
import type { NodeName } from './stage.js'
import { mustUntil, sleep, until, wallNow } from './wait.js'
import { logTail, type PairContext, withPair } from './with-pair.js'

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

/**
 * Milliseconds from the start of the outage (the client's last answer from a before the fault) to
 * each step of b's takeover (null: not observed). The client's last answer is within one probe of
 * the cut of a's public cable, whatever the cut itself cost the benchmark to run.
 */
export interface TakeoverSteps {
  /** The daemon on b logged its decision (ipfo "acquiring", keepalived/ucarp "MASTER"). */
  readonly decided: number | null
  /** The VIP appeared on b's interface (ip monitor address). */
  readonly added: number | null
  /** The client's neighbour entry for the VIP left a's MAC (ip monitor neigh). */
  readonly learned: number | null
  /** The client's first answer from b. */
  readonly answered: number | null
}

export interface RunResult {
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
  /** Who had the VIP on their interfaces just before the cables came back. */
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
  /** Both daemons' last output lines, kept for runs where b never answered or a never got back. */
  readonly logTail?: string
}

export function runOnce(setting: Setting, fault: Fault, opts: RunOptions): Promise<RunResult> {
  return withPair(setting, opts.startTimeoutMs, (ctx) => measure(ctx, fault, opts), {
    serviceCheck: fault === 'service-death',
  })
}

async function measure(ctx: PairContext, fault: Fault, opts: RunOptions): Promise<RunResult> {
  const { stage, pair, monitors, services } = ctx
  const loadAverage = Math.round(loadavg()[0]! * 100) / 100
  const probe = await startClientProbe(stage, opts.probeEveryMs)
  const { answers } = probe
  try {
    await mustUntil(
      'the client to get answers from a',
      () => firstAnswer(answers, 'a', 0) !== undefined,
      5_000,
    )
    const faultDelayMs = Math.round(300 + Math.random() * opts.faultJitterMs)
    await sleep(faultDelayMs)
    // The client must be hearing a steadily right now, or the outage would start before the fault.
    await mustUntil(
      'the client to hear a steadily for 300 ms',
      () => {
        const now = wallNow()
        const last = lastAnswer(answers)
        return last?.node === 'a' && now - last.at < 10 && longestGap(answers, now - 300, now).ms < 20
      },
      10_000,
    )

    const tFault = wallNow()
    // A crash is its own cut: what follows it (ipfo's guard, b's takeover) may come before kill() returns.
    const crash = fault === 'daemon-crash' || fault === 'service-death'
    if (fault === 'daemon-crash') await pair.kill('a')
    else if (fault === 'service-death') await services.kill('a')
    else await stage.cut('a')
    const tCut = crash ? tFault : wallNow()
    if (fault === 'node-death') await pair.killMachine('a')
    const tookOver = await until(
      () => firstAnswer(answers, 'b', tCut) !== undefined,
      opts.takeoverTimeoutMs,
      2,
    )
    await sleep(fault === 'link-cut' ? opts.splitHoldMs : 300)
    const holdersBeforeReturn = await stage.holders()

    const tReturn = wallNow()
    if (fault === 'node-death') {
      await stage.dropVip('a')
      await pair.forgetRuntime('a')
      await stage.reconnect('a')
      pair.start('a')
    } else if (fault === 'daemon-crash') {
      await pair.forgetRuntime('a')
      pair.start('a')
    } else if (fault === 'service-death') {
      await services.start('a')
    } else {
      await stage.reconnect('a')
    }
    // Settled: a (the owner, and the preferred node of every system) holds the VIP alone and the
    // client hears it now. Waiting for "one holder" instead would stop too early where b is still
    // the only holder right after the cables come back and a has not acted yet.
    const settled = await until(
      async () => {
        const last = lastAnswer(answers)
        if (last?.node !== 'a' || last.at <= tReturn || wallNow() - last.at > 50) return false
        return (await stage.holders()).join() === 'a'
      },
      opts.returnTimeoutMs,
      10,
    )
    const tSettled = wallNow()
    await sleep(500) // a late flap still counts
    const holdersAtEnd = await stage.holders()
    await probe.stop()
    const tEnd = wallNow()

    const outage = longestGap(answers, tFault - 100, tReturn)
    const outageStart = outage.from?.at ?? tCut
    const since = (t: number | undefined) => (t === undefined ? null : round(t - outageStart))
    const doublesAtTakeover = doubleAnswers(answers, tFault, tReturn)
    const doublesAtReturn = doubleAnswers(answers, tReturn, tEnd)
    const doubles = doublesAtTakeover + doublesAtReturn
    const bAdded = monitors.addresses.find((e) => e.node === 'b' && e.kind === 'add' && e.at >= tFault)
    // Any new MAC counts: ucarp's own gratuitous ARP may name its virtual MAC, not b's.
    const learned = monitors.neighbours.find(
      (e) => e.at >= tFault && e.mac !== undefined && e.mac !== stage.mac('a'),
    )
    return {
      fault,
      outageMs: tookOver ? round(outage.ms) : null,
      cutMs: round(tCut - tFault),
      faultDelayMs,
      steps: {
        decided: since(pair.decidedAt('b', tFault)),
        added: since(bAdded?.at),
        learned: since(learned?.at),
        answered: since(firstAnswer(answers, 'b', tCut)),
      },
      doubleAnswers: { takeover: doublesAtTakeover, return: doublesAtReturn },
      doubleUnicast: doubleUnicast(answers),
      bothHeldMs: round(bothHeldDuring(fault, monitors.addresses, { tFault, tCut, tReturn, tEnd })),
      holdersAtFault: holdersAt(monitors.addresses, tFault),
      holdersBeforeReturn,
      returnOutageMs: round(longestGap(answers, tReturn, tSettled).ms),
      returnCensored: !settled,
      holdersAtEnd,
      probes: { sent: answers.sent, answered: answers.unicast.length },
      loadAverage,
      // A run that went wrong (no takeover, no settling, two nodes answering) keeps the daemons' last words.
      ...(tookOver && settled && doubles === 0 ? {} : { logTail: logTail(pair, 40) }),
    }
  } finally {
    await probe.stop()
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10

/**
 * Which both-held time a fault reports: after a node's death, from its return (its VIP is gone until
 * then); after a link cut, from the cut on (the split brain); after a daemon's crash or the service's
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
  if (fault === 'link-cut') return bothHeldMs(events, t.tCut, t.tEnd)
  return bothHeldMs(events, t.tFault, t.tReturn)
}
