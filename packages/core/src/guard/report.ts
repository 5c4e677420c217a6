import type { EventOf } from '../model/events.js'

/**
 * What the guard did after the agent died, as it hands it to Node for the log (`guard-perl.ts` writes
 * it as one JSON argument; the CLI's guard report reads it with `readGuardReport`).
 */
export interface GuardReport {
  /** When it acted (ms since the epoch). */
  readonly time: number
  readonly node: string
  readonly removed: readonly string[]
  readonly kept: readonly string[]
  /** The links the last word went out on; none when an address could not be removed. */
  readonly lastWord: readonly string[]
  readonly failures: readonly string[]
  /** Ms from the pipe's close to the first copy of the last word sent on a whole link (or the removals done). */
  readonly tookMs: number
  /** The agent's log: a file descriptor (1, stdout, shared with the guard) or a path. */
  readonly log: number | string
  readonly eventLog?: string
  readonly stateDir: string
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Reads the guard's report back, checked by hand (the report loads no schema library). Throws a
 * message naming the field: only the guard writes it, so a bad one is a defect.
 */
export function readGuardReport(text: string): GuardReport {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error(`the guard's report is not JSON: ${text.slice(0, 120)}`)
  }
  if (!isObject(value)) throw new Error(`the guard's report is not an object: ${text.slice(0, 120)}`)
  const o = value
  const fail = (field: string, expected: string): never => {
    throw new Error(`the guard's report, ${field}: expected ${expected}: ${text.slice(0, 120)}`)
  }
  const str = (field: string) =>
    typeof o[field] === 'string' && o[field] !== '' ? (o[field] as string) : fail(field, 'a non-empty string')
  const num = (field: string) =>
    typeof o[field] === 'number' && Number.isFinite(o[field]) && (o[field] as number) >= 0
      ? (o[field] as number)
      : fail(field, 'a number, 0 or more')
  const strings = (field: string) => {
    const v = o[field]
    return Array.isArray(v) && v.every((s) => typeof s === 'string')
      ? (v as string[])
      : fail(field, 'a list of strings')
  }
  const log = o.log
  if (!((typeof log === 'number' && Number.isInteger(log) && log >= 1) || (typeof log === 'string' && log)))
    fail('log', 'a file descriptor or a path')
  const eventLog = o.eventLog === undefined ? undefined : str('eventLog')
  return {
    time: num('time'),
    node: str('node'),
    removed: strings('removed'),
    kept: strings('kept'),
    lastWord: strings('lastWord'),
    failures: strings('failures'),
    tookMs: num('tookMs'),
    log: log as number | string,
    ...(eventLog === undefined ? {} : { eventLog }),
    stateDir: str('stateDir'),
  }
}

/** The event the guard logs (and leaves for the next agent) after it acted. */
function guardActedEvent(report: GuardReport): EventOf<'guard-acted'> {
  const { time, node, removed, kept, lastWord, failures, tookMs } = report
  return {
    time,
    kind: 'guard-acted',
    node,
    removed: [...removed],
    kept: [...kept],
    lastWord: [...lastWord],
    failures: [...failures],
    tookMs,
    recorded: false,
  }
}

/**
 * After the guard acted: the event in the agent's log (its stdout, shared with the guard, or its
 * file) and in the event log file, and a record the next agent reports at its start. Each is tried on
 * its own.
 */
export async function reportGuardAct(
  report: GuardReport,
  onError: (message: string) => void,
): Promise<EventOf<'guard-acted'>> {
  const event = guardActedEvent(report)
  const { log, eventLog, stateDir } = report
  const [{ eventLogger }, { leaveGuardRecord }] = await Promise.all([
    import('../adapters/event-log.js'),
    import('../adapters/guard-record.js'),
  ])
  for (const destination of eventLog ? [log, eventLog] : [log]) {
    try {
      const logger = eventLogger(destination)
      logger(event)
      logger.flush()
    } catch (error) {
      onError(`logging to ${destination}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  await leaveGuardRecord(stateDir, event).catch((error: Error) =>
    onError(`leaving the record in ${stateDir}: ${error.message}`),
  )
  return event
}
