import type { AgentLogLine } from '../src/demo/agent-process.js'

/**
 * "Never two holders" through a handover of the VIP, checked the two ways that do not depend on
 * when this test happened to read a pipe: the agents' own event times, and looks at the interfaces.
 */

/** When an agent says its event happened, ms since the epoch: both agents and this test share one clock. */
export const eventMs = (line: AgentLogLine): number => Date.parse(line.eventTime)

/** Something that says which nodes hold the VIP now: a stage. */
export interface HolderView {
  holders(): Promise<string[]>
}

/**
 * Looks at which nodes hold the VIP until `stop` settles; returns every look, or rethrows `stop`'s
 * failure. A stage reads a's interface (or file) before b's, so in a handover from b to a a look that
 * shows both proves that both held the VIP at once: a already had it when b was read.
 */
export async function sampleHolders(view: HolderView, stop: Promise<unknown>): Promise<string[][]> {
  const samples: string[][] = []
  let done = false
  const finish = () => {
    done = true
  }
  stop.then(finish, finish)
  while (!done) {
    samples.push(await view.holders())
    await new Promise((r) => setTimeout(r, 2))
  }
  await stop
  samples.push(await view.holders())
  return samples
}

/**
 * What the looks taken through a handover from `from` to `to` (reading `to` before `from`) show
 * wrong, as sentences; none when `from` alone held the VIP at first, `to` alone at last, no look
 * showed both, and `to` was first seen only after `from` was last seen.
 */
export function sampledHandoverFaults(samples: readonly string[][], from: string, to: string): string[] {
  const faults: string[] = []
  const shown = (s: readonly string[]) => `[${s.join(', ')}]`
  if (samples[0]?.join() !== from)
    faults.push(
      `the first look shows ${shown(samples[0] ?? [])}, not ${from} alone: the handover was not watched`,
    )
  if (samples.at(-1)?.join() !== to)
    faults.push(`the last look shows ${shown(samples.at(-1) ?? [])}, not ${to} alone`)
  const both = samples.flatMap((s, i) => (s.includes(from) && s.includes(to) ? [i] : []))
  if (both.length > 0)
    faults.push(
      `${both.length} of ${samples.length} looks show both ${from} and ${to} (looks ${both[0]} to ${both.at(-1)})`,
    )
  const firstTo = samples.findIndex((s) => s.includes(to))
  const lastFrom = samples.findLastIndex((s) => s.includes(from))
  if (firstTo !== -1 && lastFrom >= firstTo)
    faults.push(`${to} was seen first at look ${firstTo}, ${from} last at look ${lastFrom}`)
  return faults
}

type Log = readonly { node: string; line: AgentLogLine }[]

/** What `node` said of this kind at or after `sinceMs` on its own clock, in the order it said it. */
const said = (log: Log, node: string, kind: string, sinceMs: number) =>
  log.filter((l) => l.node === node && l.line.kind === kind && eventMs(l.line) >= sinceMs).map((l) => l.line)

/**
 * What the agents' own events say wrong about `to`, the VIP's owner, taking it back from `from` since
 * `sinceMs` (on their clock), as sentences; none when `from` released the VIP (its `released` event
 * comes after its remove), `to` began its acquire (its `acquiring` comes before its add) at or after
 * that, to the millisecond, and `to` claimed the VIP because it was free, never by force. Whether `to`
 * said claim-waiting first is left open: it need not, when it first heard `from` already free.
 */
export function reportedHandoverFaults(log: Log, from: string, to: string, sinceMs: number): string[] {
  const released = said(log, from, 'released', sinceMs).at(-1)
  const acquiring = said(log, to, 'acquiring', sinceMs)[0]
  const faults: string[] = []
  if (!released) faults.push(`${from} did not report released`)
  if (!acquiring) faults.push(`${to} did not report acquiring`)
  if (released && acquiring && eventMs(acquiring) < eventMs(released))
    faults.push(
      `${to} began acquiring at ${acquiring.eventTime}, before ${from} had released at ${released.eventTime}`,
    )
  if (acquiring && acquiring.reason !== 'own addresses are free')
    faults.push(`${to} acquired because ${String(acquiring.reason)}`)
  for (const forced of said(log, to, 'claim-forced', sinceMs))
    faults.push(`${to} forced its claim over ${String(forced.holder)} at ${forced.eventTime}`)
  return faults
}

/** Whether `from`'s released and `to`'s acquired since `sinceMs` have both been read into the log. */
export const handoverReported = (log: Log, from: string, to: string, sinceMs: number) => () =>
  said(log, from, 'released', sinceMs).length > 0 && said(log, to, 'acquired', sinceMs).length > 0

/**
 * A stall that makes a live node look dead, by design: `node` said `paused`, or `loop-stalled` for at
 * least deadAfter less one interval (its heartbeats then stopped for deadAfter), at or after
 * `sinceMs`. On a shared machine under load an agent's loop can stall that long, and a peer then
 * takes its addresses as it would a dead node's: two holders for a moment, which the design settles
 * (the non-owner lets go). Returns what was said, or undefined when no such stall was.
 */
export function stallPastDeadAfter(
  log: Log,
  nodes: readonly string[],
  sinceMs: number,
  timing: { deadAfterMs: number; intervalMs: number },
): string | undefined {
  const stall = log.find(
    (l) =>
      nodes.includes(l.node) &&
      eventMs(l.line) >= sinceMs &&
      (l.line.kind === 'paused' ||
        (l.line.kind === 'loop-stalled' &&
          Number(l.line.stalledMs) >= timing.deadAfterMs - timing.intervalMs)),
  )
  return stall ? `${stall.node} said ${stall.line.kind} ${JSON.stringify(stall.line)}` : undefined
}

/**
 * The handover's faults, both ways (looks and events), unless a stall past deadAfter explains them:
 * then only that the VIP ended with `to` alone. Logs the stall, so that how often it happens shows.
 */
export function handoverFaults(
  samples: readonly string[][],
  log: Log,
  from: string,
  to: string,
  sinceMs: number,
  timing: { deadAfterMs: number; intervalMs: number },
): string[] {
  const stall = stallPastDeadAfter(log, [from, to], sinceMs, timing)
  if (stall === undefined)
    return [...sampledHandoverFaults(samples, from, to), ...reportedHandoverFaults(log, from, to, sinceMs)]
  console.log(
    `handover from ${from} to ${to} during a stall past deadAfter (${stall}): only the end is checked`,
  )
  return samples.at(-1)?.join() === to
    ? []
    : [`the last look shows [${samples.at(-1)?.join(', ')}], not ${to} alone`]
}
