import { type Answers, firstAnswer, lastAnswer, longestGap } from './probe/answers.js'
import type { NodeName, Stage } from './stage.js'
import { mustUntil, sleep, until, wallNow } from './wait.js'

/**
 * Waits until the client hears `node`, then a random 300 ms to 300 ms + `jitterMs` (daemons start
 * on a fixed schedule: without it every run would hit the same point of the heartbeat cycle), then
 * until the client has heard `node` steadily for 300 ms, so that the outage starts with the fault.
 * Returns the random wait.
 */
export async function awaitFaultMoment(answers: Answers, node: NodeName, jitterMs: number): Promise<number> {
  await mustUntil(
    `the client to get answers from ${node}`,
    () => firstAnswer(answers, node, 0) !== undefined,
    5_000,
  )
  const faultDelayMs = Math.round(300 + Math.random() * jitterMs)
  await sleep(faultDelayMs)
  await mustUntil(
    `the client to hear ${node} steadily for 300 ms`,
    () => {
      const now = wallNow()
      const last = lastAnswer(answers)
      return last?.node === node && now - last.at < 10 && longestGap(answers, now - 300, now).ms < 20
    },
    10_000,
  )
  return faultDelayMs
}

/**
 * Waits until a (the owner, and the preferred node of every system) holds the VIP alone and the
 * client hears it now, after `since`; false when `timeoutMs` ran out first. Waiting for "one
 * holder" instead would stop too early where the taker is still the only holder right after a's
 * return and a has not acted yet.
 */
export function awaitSettled(
  stage: Stage,
  answers: Answers,
  since: number,
  timeoutMs: number,
): Promise<boolean> {
  return until(
    async () => {
      const last = lastAnswer(answers)
      if (last?.node !== 'a' || last.at <= since || wallNow() - last.at > 50) return false
      return (await stage.holders()).join() === 'a'
    },
    timeoutMs,
    10,
  )
}
