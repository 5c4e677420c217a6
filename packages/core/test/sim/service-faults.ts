import type { Fault } from './schedule.js'
import type { Scheduler } from './scheduler.js'
import type { SimNode } from './sim-node.js'

type ServiceFault = Extract<Fault, { kind: 'service' | 'flap' | 'slow-check' }>

/**
 * What the health faults do to a host's service, from `at` to `until`. A flap is down first, then
 * alternates every `periodMs`; when it ends the service is as the other faults leave it. These are
 * world events: the service goes on while its agent is frozen or dead.
 */
export function serviceEffects(
  fault: ServiceFault,
  node: SimNode,
  scheduler: Scheduler,
): { start: () => void; end?: () => void } {
  const service = node.service
  switch (fault.kind) {
    case 'service':
      return { start: () => service.setDown(1), end: () => service.setDown(-1) }
    case 'slow-check':
      return {
        start: () => service.setSlow(fault.runMs, true),
        end: () => service.setSlow(fault.runMs, false),
      }
    case 'flap': {
      let down = false
      let over = false
      const flip = () => {
        if (over) return
        down = !down
        service.setDown(down ? 1 : -1)
        // A flap the shrinker left without an end (cut at the violation) goes on to the run's end.
        if (scheduler.now + fault.periodMs < (fault.until ?? Number.POSITIVE_INFINITY))
          scheduler.at(scheduler.now + fault.periodMs, flip)
      }
      return {
        start: flip,
        end: () => {
          over = true
          if (down) service.setDown(-1)
          down = false
        },
      }
    }
  }
}
