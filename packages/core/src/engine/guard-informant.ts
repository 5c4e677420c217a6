import { addressKey } from '../model/ip.js'
import type { GuardPort } from '../model/ports.js'
import { guardBrief } from '../state-machine/guard-brief.js'
import type { EngineState } from '../state-machine/state.js'

/**
 * Keeps the guard told what to do if the agent dies: after every step of the machine the brief is
 * worked out again (a few resources: microseconds) and passed on only when it changed.
 */
export function guardInformant(guard: GuardPort | undefined): (state: EngineState) => void {
  if (!guard) return () => {}
  let last: string | undefined
  return (state) => {
    const brief = guardBrief(state)
    const key = `${brief.handOver.map(addressKey).join(' ')}|${brief.keep.map(addressKey).join(' ')}`
    if (key === last) return
    last = key
    guard.brief(brief)
  }
}
