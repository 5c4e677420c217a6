import type { GuardBrief, LastWord } from '../model/ports.js'

/**
 * What the agent tells its guard, one JSON object a line on the guard's stdin. The agent writes it
 * (guard-process.ts); the guard reads it (guard/run-guard.ts). Nothing comes back: the guard speaks
 * only after the agent is gone, in the agent's own log.
 *
 * - `hello`, first: who this node is, where each link's heartbeats go, where to log and to leave a
 *   record of what it did for the restarted agent.
 * - `brief`: what to remove and what to keep (the latest replaces the earlier).
 * - `word`: each link's last word, base64 (the latest replaces the earlier).
 * - `stand-down`: a clean stop; the guard exits doing nothing when the pipe closes.
 */
export interface GuardAddress {
  readonly interface: string
  readonly ip: string
  readonly prefix: number
  readonly family: 4 | 6
}

export interface GuardHello {
  readonly t: 'hello'
  readonly node: string
  readonly platform: 'linux' | 'darwin'
  readonly links: readonly {
    readonly name: string
    /** The local address the agent listens on for this link, if the config names one. */
    readonly listen?: string
    readonly targets: readonly { readonly host: string; readonly port: number }[]
  }[]
  /** The agent's log: a file descriptor (1, stdout, shared with the guard) or a path. */
  readonly log: number | string
  readonly eventLog?: string
  /** Where the guard leaves `guard-acted.json` for the agent's next start. */
  readonly stateDir: string
}

export type GuardMessage =
  | GuardHello
  | { readonly t: 'brief'; readonly handOver: GuardAddress[]; readonly keep: GuardAddress[] }
  | { readonly t: 'word'; readonly words: { readonly link: string; readonly data: string }[] }
  | { readonly t: 'stand-down' }

/**
 * The shape of each message, checked by hand: the guard loads no schema library (zod is some 200
 * modules, a few MB of a process that otherwise holds a few addresses and packets).
 */
class BadField extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message)
  }
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
function text(o: Json, key: string, path: string, optional = false): string | undefined {
  const v = o[key]
  if (v === undefined && optional) return undefined
  if (typeof v !== 'string' || v.length === 0) throw new BadField(path + key, 'expected a non-empty string')
  return v
}
function int(o: Json, key: string, path: string, min: number, max: number): number {
  const v = o[key]
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new BadField(path + key, `expected a whole number from ${min} to ${max}`)
  return v
}
function list<T>(o: Json, key: string, path: string, item: (v: Json, path: string) => T): T[] {
  const v = o[key]
  if (!Array.isArray(v)) throw new BadField(path + key, 'expected a list')
  return v.map((x, i) => {
    if (!isObject(x)) throw new BadField(`${path}${key}.${i}`, 'expected an object')
    return item(x, `${path}${key}.${i}.`)
  })
}
function addressOf(o: Json, path: string): GuardAddress {
  const family = o.family
  if (family !== 4 && family !== 6) throw new BadField(`${path}family`, 'expected 4 or 6')
  return {
    interface: text(o, 'interface', path)!,
    ip: text(o, 'ip', path)!,
    prefix: int(o, 'prefix', path, 0, 128),
    family,
  }
}

function messageOf(o: Json): GuardMessage {
  switch (o.t) {
    case 'hello': {
      const platform = o.platform
      if (platform !== 'linux' && platform !== 'darwin')
        throw new BadField('platform', 'expected linux or darwin')
      const log = o.log
      if (
        !((typeof log === 'number' && Number.isInteger(log) && log >= 1) || (typeof log === 'string' && log))
      )
        throw new BadField('log', 'expected a file descriptor or a path')
      const eventLog = text(o, 'eventLog', '', true)
      return {
        t: 'hello',
        node: text(o, 'node', '')!,
        platform,
        links: list(o, 'links', '', (l, path) => {
          const listen = text(l, 'listen', path, true)
          return {
            name: text(l, 'name', path)!,
            ...(listen === undefined ? {} : { listen }),
            targets: list(l, 'targets', path, (t, at) => ({
              host: text(t, 'host', at)!,
              port: int(t, 'port', at, 1, 65535),
            })),
          }
        }),
        log,
        ...(eventLog === undefined ? {} : { eventLog }),
        stateDir: text(o, 'stateDir', '')!,
      }
    }
    case 'brief':
      return {
        t: 'brief',
        handOver: list(o, 'handOver', '', addressOf),
        keep: list(o, 'keep', '', addressOf),
      }
    case 'word':
      return {
        t: 'word',
        words: list(o, 'words', '', (w, path) => {
          if (typeof w.data !== 'string') throw new BadField(`${path}data`, 'expected a string')
          return { link: text(w, 'link', path)!, data: w.data }
        }),
      }
    case 'stand-down':
      return { t: 'stand-down' }
    default:
      throw new BadField('t', 'expected hello, brief, word or stand-down')
  }
}

export const helloLine = (h: Omit<GuardHello, 't'>): string => `${JSON.stringify({ t: 'hello', ...h })}\n`
export const briefLine = (b: GuardBrief): string => `${JSON.stringify({ t: 'brief', ...b })}\n`
export const wordLine = (words: readonly LastWord[]): string =>
  `${JSON.stringify({ t: 'word', words: words.map((w) => ({ link: w.link, data: Buffer.from(w.data).toString('base64') })) })}\n`
export const STAND_DOWN_LINE = `${JSON.stringify({ t: 'stand-down' })}\n`

/** One line read back; throws a message naming the line's problem (a defect: only the agent writes these). */
export function parseGuardLine(line: string): GuardMessage {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    throw new Error(`guard message is not JSON: ${line.slice(0, 80)}`)
  }
  try {
    if (!isObject(value)) throw new BadField('(root)', 'expected an object')
    return messageOf(value)
  } catch (error) {
    if (!(error instanceof BadField)) throw error
    throw new Error(`guard message ${error.path}: ${error.message}: ${line.slice(0, 80)}`)
  }
}
