import { appendFile } from 'node:fs/promises'
import { z } from 'zod'
import { defineHook, type HookEvent } from '../define-hook.js'
import { describeFailure } from '../runner.js'

const FACILITIES = [
  'daemon',
  'user',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const

export const logOptions = z.preprocess(
  (raw) => (typeof raw === 'object' && raw !== null && !('to' in raw) ? { ...raw, to: 'stdout' } : raw),
  z.discriminatedUnion('to', [
    z.strictObject({
      to: z.literal('file'),
      path: z.string().min(1).describe('The JSON-lines file to append to (created with mode 0640).'),
    }),
    z.strictObject({
      to: z.literal('syslog'),
      tag: z.string().default('ipfo').describe('The syslog tag (program name).'),
      facility: z.enum(FACILITIES).default('daemon'),
      socket: z.string().default('/dev/log').describe("The syslog daemon's unix socket."),
    }),
    z.strictObject({ to: z.literal('stdout') }),
  ]),
)

export type LogOptions = z.output<typeof logOptions>

/** One log record: the event with the time it was logged. */
export function logRecord(event: HookEvent, now: number): Record<string, unknown> {
  return {
    time: new Date(now).toISOString(),
    source: 'ipfo-hook',
    phase: event.phase ?? null,
    action: event.action,
    cidr: event.cidr,
    interface: event.interface,
    addresses: event.addresses.map((a) => `${a.ip}/${a.prefix}@${a.interface}`),
    owner: event.owner ?? null,
    node: event.node ?? null,
    peer: event.peer ?? null,
    reason: event.reason ?? null,
    eventTime: event.eventTime ?? null,
    detectionMs: event.detectionMs ?? null,
    results: event.results,
  }
}

/**
 * Appends one JSON line per event to a file, syslog or stdout. Node has no unix datagram sockets, so
 * syslog goes through util-linux's `logger -u /dev/log`.
 */
export const logHook = defineHook({
  name: 'log',
  description: 'Logs the event as one JSON line to a file, syslog (/dev/log) or stdout.',
  options: logOptions,
  async run(event, options, deps) {
    const line = JSON.stringify(logRecord(event, deps.now()))
    switch (options.to) {
      case 'file':
        // One write with O_APPEND: concurrent writers never interleave within a line.
        await appendFile(options.path, `${line}\n`, { mode: 0o640 })
        return { ok: true, summary: `logged ${event.action} of ${event.cidr} to ${options.path}` }
      case 'syslog': {
        const args = ['-t', options.tag, '-p', `${options.facility}.notice`, '-u', options.socket, '--', line]
        const result = await deps.runner.run('logger', args, { timeoutMs: 5000 })
        if (result.exitCode !== 0)
          return { ok: false, summary: describeFailure('logger', args.slice(0, -1), result) }
        return { ok: true, summary: `logged ${event.action} of ${event.cidr} to syslog (${options.socket})` }
      }
      case 'stdout':
        deps.print(line)
        return { ok: true, summary: `logged ${event.action} of ${event.cidr} to stdout` }
    }
  },
})
