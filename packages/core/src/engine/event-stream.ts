import type { IpfoEvent } from '../model/events.js'
import type { Clock, EventSink } from '../model/ports.js'
import type { EventBody } from '../state-machine/effects.js'

/** How many events `ipfo events` can show. */
const RECENT_EVENTS = 500

/** Stamps every event with the wall clock, keeps the last few for `ipfo events`, and passes it on. */
export function eventStream(clock: Clock, sink: EventSink) {
  const recent: IpfoEvent[] = []
  return {
    emit(event: EventBody): void {
      const stamped = { ...event, time: clock.wallNow() } as IpfoEvent
      recent.push(stamped)
      if (recent.length > RECENT_EVENTS) recent.shift()
      sink(stamped)
    },
    recent: (): readonly IpfoEvent[] => recent,
  }
}

export type Emit = (event: EventBody) => void

/** An error event from a failure off the heartbeat path (a journal write, a save): said, not thrown. */
export function reportError(emit: Emit, context: string) {
  return (error: unknown): void =>
    emit({ kind: 'error', message: error instanceof Error ? error.message : String(error), context })
}
