import { pino } from 'pino'
import { describeEvent, severityOf } from '../model/describe-event.js'
import type { EventSink } from '../model/ports.js'

/**
 * Writes every event as one JSON line through pino: level, time, `msg` for people, and the event's
 * fields for machines. `destination` is a file path (appended) or a file descriptor (1 for stdout).
 */
export function eventLogger(
  destination: string | number,
  opts: { level?: string } = {},
): EventSink & { flush(): void } {
  const stream = pino.destination({ dest: destination, sync: true, mkdir: typeof destination === 'string' })
  const logger = pino(
    { level: opts.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    stream,
  )
  const sink = (event: Parameters<EventSink>[0]) => {
    const { time: _time, ...fields } = event
    logger[severityOf(event)](
      { ...fields, eventTime: new Date(event.time).toISOString() },
      describeEvent(event),
    )
  }
  return Object.assign(sink, { flush: () => stream.flushSync() })
}
