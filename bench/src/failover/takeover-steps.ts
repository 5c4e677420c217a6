import { firstAnswer } from './probe/answers.js'
import type { NodeName } from './stage.js'
import { roundMs } from './stats.js'
import type { StageContext } from './with-stage.js'

/**
 * Milliseconds from the start of the outage (the client's last answer from the node that failed) to
 * each step of the taker's takeover (null: not observed). The client's last answer is within one
 * probe of the cut of the failed node's public cable, whatever the cut itself cost the benchmark.
 */
export interface TakeoverSteps {
  /** The daemon on the taker logged its decision (ipfo "acquiring", keepalived/ucarp "MASTER"). */
  readonly decided: number | null
  /** The VIP appeared on the taker's interface (ip monitor address). */
  readonly added: number | null
  /**
   * The taker's first gratuitous ARP for the VIP on the client's cable, stamped by the kernel
   * (tcpdump), so not late when this host is busy; any MAC but the failed node's (ucarp's virtual one).
   */
  readonly announced: number | null
  /** The client's neighbour entry for the VIP left the failed node's MAC (ip monitor neigh). */
  readonly learned: number | null
  /** The client's first answer from the taker. */
  readonly answered: number | null
}

export interface Takeover {
  /** The node the fault hit, which held the VIP. */
  readonly from: NodeName
  /** The node expected to take the VIP over. */
  readonly to: NodeName
  /** When the fault began (wall clock, ms): the steps are looked for from then. */
  readonly tFault: number
  /** When the failed node's cables were pulled (or the crash): the taker's answers count from then. */
  readonly tCut: number
  /** The client's last answer before the outage. */
  readonly outageStart: number
}

/** The steps of one takeover, from the daemons' logs, the address and neighbour watchers and the client. */
export function takeoverSteps(
  { stage, daemons, monitors }: Pick<StageContext, 'stage' | 'daemons' | 'monitors'>,
  answers: Parameters<typeof firstAnswer>[0],
  t: Takeover,
): TakeoverSteps {
  const since = (at: number | undefined) => (at === undefined ? null : roundMs(at - t.outageStart))
  const added = monitors.addresses.find((e) => e.node === t.to && e.kind === 'add' && e.at >= t.tFault)
  const announced = monitors.announcements.find((e) => e.at >= t.tFault && e.mac !== stage.mac(t.from))
  // Any new MAC counts: ucarp's own gratuitous ARP may name its virtual MAC, not the taker's.
  const learned = monitors.neighbours.find(
    (e) => e.at >= t.tFault && e.mac !== undefined && e.mac !== stage.mac(t.from),
  )
  return {
    decided: since(daemons.decidedAt(t.to, t.tFault)),
    added: since(added?.at),
    announced: since(announced?.at),
    learned: since(learned?.at),
    answered: since(firstAnswer(answers, t.to, t.tCut)),
  }
}
