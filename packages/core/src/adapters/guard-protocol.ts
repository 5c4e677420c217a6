import type { InterfaceAddress } from '../model/ip.js'
import type { GuardBrief, LastWord } from '../model/ports.js'

/**
 * What the agent tells its guard (`guard/guard-perl.ts`), one message a line on the guard's stdin: a
 * word naming the message, then its fields, each percent-encoded (`encodeURIComponent`) and separated
 * by one space, so that no value (a path with spaces, a node's name) can end a field or a line. Each
 * line ends in a newline: the guard passes over a last line without one (the agent died writing it). The
 * agent writes it (guard-process.ts); nothing comes back: the guard speaks only after the agent is
 * gone, in the agent's own log.
 *
 * - `hello` first: node, platform, log (a file descriptor, or empty), log path (or empty), event log
 *   (or empty), state folder, the agent's pid. Then a `link` line for each link: name, listen address (or empty), and
 *   a host and a port for each target.
 * - `brief`: what to remove and what to keep, in groups of five: `h` (hand over) or `k` (keep),
 *   interface, ip, prefix, family. The latest replaces the earlier.
 * - `word`: each link's last word, a link and the word in hex. The latest replaces the earlier.
 * - `stand-down`: a clean stop; the guard exits doing nothing when the pipe closes.
 */
export interface GuardHello {
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
  /**
   * The agent's pid: the guard ends the dead agent's leftovers only while the agent is its parent (not
   * if the agent died before the guard ran, and the guard's parent is init or a subreaper).
   */
  readonly agentPid: number
}

const line = (word: string, fields: readonly (string | number)[]) =>
  `${[word, ...fields.map((f) => encodeURIComponent(String(f)))].join(' ')}\n`

/** The hello and one line per link. */
export const helloLine = (h: GuardHello): string =>
  line('hello', [
    h.node,
    h.platform,
    typeof h.log === 'number' ? h.log : '',
    typeof h.log === 'string' ? h.log : '',
    h.eventLog ?? '',
    h.stateDir,
    h.agentPid,
  ]) +
  h.links
    .map((l) => line('link', [l.name, l.listen ?? '', ...l.targets.flatMap((t) => [t.host, t.port])]))
    .join('')

const group = (kind: 'h' | 'k') => (a: InterfaceAddress) => [kind, a.interface, a.ip, a.prefix, a.family]
export const briefLine = (b: GuardBrief): string =>
  line('brief', [...b.handOver.flatMap(group('h')), ...b.keep.flatMap(group('k'))])
export const wordLine = (words: readonly LastWord[]): string =>
  line(
    'word',
    words.flatMap((w) => [w.link, Buffer.from(w.data).toString('hex')]),
  )
export const STAND_DOWN_LINE = 'stand-down\n'
