import { pino } from 'pino'
import { describeEvent, severityOf } from '../model/describe-event.js'
import type { EventSink } from '../model/ports.js'

/**
 * Writes every event as one JSON line through pino: level, time (when the event happened, also as
 * `eventTime`), `msg` for people, and the event's fields for machines. `destination` is a file path (appended) or a file descriptor (1 for stdout).
 */
export function eventLogger(
  destination: string | number,
  opts: { level?: string } = {},
): EventSink & { flush(): void } {
  const stream = pino.destination({ dest: destination, sync: true, mkdir: typeof destination === 'string' })
  /** The event being written's time: a line's `time` says when the event happened, not when it was written. */
  let iso = ''
  const logger = pino(
    { level: opts.level ?? 'info', base: undefined, timestamp: () => `,"time":"${iso}"` },
    stream,
  )
  const sink = (event: Parameters<EventSink>[0]) => {
    const { time, ...fields } = event
    iso = new Date(time).toISOString()
    logger[severityOf(event)]({ ...fields, eventTime: iso }, describeEvent(event))
  }
  return Object.assign(sink, { flush: () => stream.flushSync() })
}
