import { isIPv4, isIPv6 } from 'node:net'
import { endianness } from 'node:os'
import type { CommandResult, IpBatch } from '../../model/ports.js'
import { DEFAULT_TIMEOUT_MS } from '../command-runner.js'

/**
 * What this adapter needs of an rtnetlink socket: the part of the npm package `netlink`'s
 * RtNetlinkSocket it calls (tests give a real one, opened inside a network namespace, or a fake).
 */
export interface RtNetlink {
  getLinks(
    data?: object,
    attrs?: object,
    options?: RequestOptions,
  ): Promise<readonly { data: { index?: number }; attrs: { ifname?: string } }[]>
  getLink(data: { index: number }, attrs?: object, options?: RequestOptions): Promise<unknown>
  newAddress(data: RtAddress, attrs: RtAddressAttrs, options?: RequestOptions): Promise<unknown>
  delAddress(data: RtAddress, attrs: RtAddressAttrs, options?: RequestOptions): Promise<unknown>
  /** The neighbour table (a dump: ARP and NDP entries of every interface). */
  getNeighbors(
    data?: object,
    attrs?: object,
    options?: RequestOptions,
  ): Promise<readonly { data: RtNeighbor; attrs: { dst?: Buffer } }[]>
  delNeighbor(
    data: { family: number; ifindex: number },
    attrs: { dst: Buffer },
    options?: RequestOptions,
  ): Promise<unknown>
  /** Link notifications: an interface renamed, deleted or made again makes the names read stale. */
  addMembership(group: 'LINK'): void
  on(event: 'message', listener: (messages: unknown[], info: { groups: number }) => void): unknown
  readonly socket: {
    close(): void
    on(event: 'error', listener: (error: Error) => void): unknown
    /** The socket's port: read once, it spares each request a getsockname(2). */
    address?(): { port: number }
  }
}

export interface NetlinkBatchOptions {
  /** The socket failed (a receive overrun, say): requests waiting on it time out and say so. */
  readonly onError?: (message: string) => void
}

interface RequestOptions {
  readonly flags?: number
  readonly timeout?: number
  /** The header's port (nlmsg_pid); the package reads the socket's for every request when absent. */
  readonly localPort?: number
}

interface RtAddress {
  readonly family: number
  readonly prefixlen: number
  readonly index: number
}

interface RtNeighbor {
  readonly family?: number
  readonly ifindex?: number
  /** NUD_* states, as the package reads them. */
  readonly state?: { readonly permanent?: true; readonly noarp?: true }
  /** NTF_* flags. */
  readonly flags?: { readonly extLearned?: true }
}

interface RtAddressAttrs {
  readonly local: Buffer
  readonly address: Buffer
  readonly cacheInfo?: { ifaPrefered: number; ifaValid: number; cstamp: number; tstamp: number }
  readonly flags?: { nodad?: true }
}

/** netlink.h: NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE. */
const REPLACE = 0x100
const EXCL = 0x200
const CREATE = 0x400
/** socket.h */
const AF_INET = 2
const AF_INET6 = 10
/** A lifetime of "forever" in IFA_CACHEINFO. */
const INFINITY_LIFE_TIME = 0xffffffff

/** One of the commands linux.ts writes to `ip -batch`, as rtnetlink takes it. */
type Parsed =
  | { readonly op: 'add' | 'del'; readonly address: ParsedAddress }
  | { readonly op: 'change'; readonly address: ParsedAddress; readonly lifetime: number }
  | { readonly op: 'ping' }
  | { readonly op: 'flush'; readonly dev: string }

interface ParsedAddress {
  readonly cidr: string
  readonly ip: Buffer
  readonly family: 4 | 6
  readonly prefix: number
  readonly dev: string
  readonly nodad: boolean
}

/**
 * The `ip -batch` commands the agent sends, done in its own process over rtnetlink (the optional npm
 * package `netlink`): no process between the decision and the kernel, and none at rest. It takes the
 * words linux.ts writes (`addr add|del <cidr> dev <if> [nodad]`, `addr change <cidr> dev <if>
 * valid_lft <s> preferred_lft <s> [nodad]`, and `link show dev lo`, the rehearsal's round trip) and
 * the carrier watch's `neigh flush dev <if>`, and answers as `ip` would: exit code 0, or 1 with ip's
 * words for the errors linux.ts reads ("File exists", "Cannot assign requested address", `Cannot
 * find device`, "Operation not permitted"). Anything else goes to `fallback`, a real `ip -batch`
 * started the first time one comes.
 *
 * Requests go out one at a time, in the order asked, as through `ip -batch`; one that waited past
 * its `sendWithinMs` is not sent. Interface names are read once and again after a link notification
 * (a rename, a new interface) or an unknown name.
 */
export function netlinkBatch(
  rt: RtNetlink,
  fallback: () => IpBatch,
  opts: NetlinkBatchOptions = {},
): IpBatch {
  let indexes: Promise<Map<string, number>> | undefined
  /** The indexes once read (and not stale since): what lets a request go out within `run`. */
  let known: Map<string, number> | undefined
  /** Requests asked and not answered yet: while any is, a new one waits its turn. */
  let inFlight = 0
  let other: IpBatch | undefined
  /** One request at a time, in the order asked, as through `ip -batch`: an add then a remove stay so. */
  let queue: Promise<unknown> = Promise.resolve()
  let listening = false
  /** The socket's port, read at the first request (undefined: the package reads it each time). */
  let port: { localPort?: number } | undefined
  const portOption = () => {
    if (port) return port
    try {
      const read = rt.socket.address?.().port
      port = read === undefined ? {} : { localPort: read }
    } catch {
      port = {}
    }
    return port
  }
  /**
   * Commands read once: a lifetime's renewal is the same words every half second, for as long as
   * the address is held (issue 23's idle cost).
   */
  const parsedBefore = new Map<string, ReturnType<typeof parseCommand>>()
  const parsedOf = (args: readonly string[]) => {
    const key = args.join('\0')
    if (parsedBefore.has(key)) return parsedBefore.get(key)
    const parsed = parseCommand(args)
    if (parsedBefore.size >= PARSED_KEPT) parsedBefore.clear()
    parsedBefore.set(key, parsed)
    return parsed
  }
  const listen = () => {
    if (listening) return
    listening = true
    // Unheard, a socket error would be thrown: the agent would die for a receive overrun.
    rt.socket.on('error', (error) => opts.onError?.(`rtnetlink: ${error.message}`))
    try {
      rt.addMembership('LINK')
      rt.on('message', (_, info) => {
        // A notification (not an answer): an interface came, went or was renamed.
        if (info.groups === 0) return
        indexes = undefined
        known = undefined
      })
    } catch (error) {
      opts.onError?.(`rtnetlink: not told of interface changes: ${(error as Error).message}`)
    }
  }
  const readIndexes = (timeout: number) => {
    const reading = dumped(() => rt.getLinks({}, {}, { timeout })).then(
      (links) =>
        new Map(
          links.flatMap((l) => (l.attrs.ifname && l.data.index ? [[l.attrs.ifname, l.data.index]] : [])),
        ),
    )
    indexes = reading
    known = undefined
    reading.then(
      (map) => {
        if (indexes === reading) known = map
      },
      // A failed read is read again by the next request.
      () => {
        if (indexes === reading) indexes = undefined
      },
    )
    return reading
  }
  /** The interface's index; read again once when the name is unknown or the kernel says it is gone. */
  const indexOf = async (dev: string, timeout: number, fresh: boolean): Promise<number | undefined> => {
    const known = await (fresh || !indexes ? readIndexes(timeout) : indexes)
    const index = known.get(dev)
    if (index !== undefined || fresh) return index
    return indexOf(dev, timeout, true)
  }

  /** `index`: the interface's, known already: the request is then sent before the first await. */
  const perform = async (
    parsed: Parsed,
    timeout: number,
    fresh = false,
    index: number | undefined = undefined,
  ): Promise<CommandResult> => {
    if (parsed.op === 'ping') {
      await rt.getLink({ index: 1 }, {}, { timeout })
      return ok()
    }
    if (parsed.op === 'flush') {
      const index = await indexOf(parsed.dev, timeout, fresh)
      if (index === undefined) return failed(`Cannot find device "${parsed.dev}"`)
      return flushNeighbours(rt, index, timeout).catch((error: unknown) =>
        failed(ipWords(errnoName(error), error, parsed.dev, timeout)),
      )
    }
    const { address } = parsed
    index ??= await indexOf(address.dev, timeout, fresh)
    if (index === undefined) return failed(`Cannot find device "${address.dev}"`)
    const data = { family: address.family === 4 ? AF_INET : AF_INET6, prefixlen: address.prefix, index }
    const attrs: RtAddressAttrs = {
      local: address.ip,
      address: address.ip,
      ...(parsed.op === 'change'
        ? {
            cacheInfo: { ifaPrefered: parsed.lifetime, ifaValid: parsed.lifetime, cstamp: 0, tstamp: 0 },
          }
        : {}),
      ...(address.nodad ? { flags: { nodad: true } } : {}),
    }
    try {
      if (parsed.op === 'del') await rt.delAddress(data, attrs, { timeout, ...portOption() })
      else
        await rt.newAddress(data, attrs, {
          flags: parsed.op === 'add' ? CREATE | EXCL : REPLACE,
          timeout,
          ...portOption(),
        })
      return ok()
    } catch (error) {
      const code = errnoName(error)
      // The interface was deleted and made again since its index was read.
      if (code === 'ENODEV' && !fresh) return perform(parsed, timeout, true)
      return failed(ipWords(code, error, address.dev, timeout))
    }
  }

  return {
    run(args, runOpts = {}) {
      const parsed = parsedOf(args)
      if (parsed === undefined) {
        other ??= fallback()
        return other.run(args, runOpts)
      }
      if (typeof parsed === 'string') return Promise.resolve(failed(parsed))
      listen()
      const timeout = runOpts.timeoutMs ?? DEFAULT_TIMEOUT_MS
      // A flush changes no address: it does not wait behind address changes, nor they behind it
      // (one round trip per entry, thousands on a large segment), as with its own `ip` before.
      if (parsed.op === 'flush')
        return perform(parsed, timeout).catch((error: unknown) =>
          failed(ipWords(errnoName(error), error, parsed.dev, timeout)),
        )
      const sendBy =
        runOpts.sendWithinMs === undefined
          ? Number.POSITIVE_INFINITY
          : performance.now() + runOpts.sendWithinMs
      inFlight++
      const settled = (result: Promise<CommandResult>) => {
        queue = result
        void result.finally(() => inFlight--)
        return result
      }
      // Nothing ahead of it and the interface's index at hand: handed to the socket now, within this
      // call, which sends at once while it has nothing queued (as at a takeover); the kernel has
      // taken an address change when the send returns, so a gratuitous ARP the caller sends next
      // (linux.ts, with an add) does not tell a client of an address not here yet.
      const index =
        parsed.op === 'add' || parsed.op === 'del' || parsed.op === 'change'
          ? known?.get(parsed.address.dev)
          : undefined
      if (inFlight === 1 && index !== undefined)
        return settled(
          perform(parsed, timeout, false, index).catch((error: unknown) =>
            failed(ipWords(errnoName(error), error, '', timeout)),
          ),
        )
      const done = queue.then(async () => {
        // As `ip -batch`'s bound: a command that waited too long (behind others, or the agent was
        // frozen) is not sent at all.
        if (performance.now() > sendBy)
          return failed(
            'not sent over rtnetlink: it could not be sent in time (it waited behind other commands, or the agent was frozen)',
          )
        try {
          return await perform(parsed, timeout)
        } catch (error) {
          return failed(ipWords(errnoName(error), error, '', timeout))
        }
      })
      return settled(done)
    },
    start() {
      listen()
      // The interfaces' indexes now, so the first add does not wait for them.
      if (!indexes) void readIndexes(DEFAULT_TIMEOUT_MS).catch(() => undefined)
    },
    close() {
      rt.socket.close()
      other?.close()
    },
  }
}

/**
 * `ip neigh flush dev <if>`, as iproute2 does it: every ARP and NDP entry of the interface is
 * deleted but permanent and noarp ones (those learned from outside, a bridge's or a switch's, go
 * whatever their state), in rounds until none is left, at most MAX_FLUSH_ROUNDS. One deleted
 * meanwhile is not an error; a dump a link notice broke in its middle (the package ends a
 * multipart answer at any other message) is read again.
 */
async function flushNeighbours(rt: RtNetlink, index: number, timeout: number): Promise<CommandResult> {
  for (let round = 0; round < MAX_FLUSH_ROUNDS; round++) {
    const entries = await dumpNeighbours(rt, index, timeout)
    const doomed = entries.filter(({ data, attrs }) => data.ifindex === index && attrs.dst && flushable(data))
    if (doomed.length === 0) return ok()
    for (const { data, attrs } of doomed) {
      try {
        await rt.delNeighbor({ family: data.family ?? 0, ifindex: index }, { dst: attrs.dst! }, { timeout })
      } catch (error) {
        if (errnoName(error) !== 'ENOENT') return failed(ipWords(errnoName(error), error, '', timeout))
      }
    }
  }
  return ok()
}

const MAX_FLUSH_ROUNDS = 10
/** Distinct commands kept read (two or three per address: add, remove, renew). */
const PARSED_KEPT = 256
const DUMP_ATTEMPTS = 3

/** The interface's neighbours (NDA_IFINDEX: the kernel dumps that interface's only). */
async function dumpNeighbours(rt: RtNetlink, index: number, timeout: number) {
  const ifindex = Buffer.alloc(4)
  if (endianness() === 'LE') ifindex.writeUInt32LE(index)
  else ifindex.writeUInt32BE(index)
  return dumped(() => rt.getNeighbors({}, { ifindex }, { timeout }))
}

/**
 * A dump, read again when a notice broke it: this socket hears link notices, and the package ends a
 * multipart answer at any other message ("Multipart message not terminated properly").
 */
async function dumped<T>(dump: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dump()
    } catch (error) {
      if (attempt >= DUMP_ATTEMPTS || !/multipart/i.test(String(error))) throw error
    }
  }
}

const flushable = (data: RtNeighbor) =>
  data.flags?.extLearned === true || !(data.state?.permanent === true || data.state?.noarp === true)

const ok = (): CommandResult => ({ exitCode: 0, signal: null, stdout: '', stderr: '' })
const failed = (message: string): CommandResult => ({
  exitCode: 1,
  signal: null,
  stdout: '',
  stderr: `${message}\n`,
})

/** The errno name of a rejected request: `netlink` says "Request rejected: EEXIST". */
function errnoName(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error)
  return /\b(E[A-Z0-9]+)\b/.exec(message)?.[1]
}

/** What `ip` prints for the errors linux.ts and its hints tell apart; the errno's name for others. */
function ipWords(code: string | undefined, error: unknown, dev: string, timeoutMs: number): string {
  if (code === 'EEXIST') return 'RTNETLINK answers: File exists'
  if (code === 'EADDRNOTAVAIL') return 'RTNETLINK answers: Cannot assign requested address'
  if (code === 'ENODEV') return `Cannot find device "${dev}"`
  if (code === 'EPERM' || code === 'EACCES') return 'RTNETLINK answers: Operation not permitted'
  const message = error instanceof Error ? error.message : String(error)
  if (/timeout/i.test(message)) return `rtnetlink timed out after ${timeoutMs} ms`
  return `RTNETLINK answers: ${message}`
}

/**
 * A command of linux.ts's, parsed; undefined for one this adapter leaves to `ip` (not an address
 * change); a string saying what is wrong with an address change it cannot read.
 */
export function parseCommand(args: readonly string[]): Parsed | string | undefined {
  if (args.join(' ') === 'link show dev lo') return { op: 'ping' }
  if (args.length === 4 && args[0] === 'neigh' && args[1] === 'flush' && args[2] === 'dev')
    return { op: 'flush', dev: args[3]! }
  const [object, verb, cidrText, devWord, dev, ...rest] = args
  if (object !== 'addr' || (verb !== 'add' && verb !== 'del' && verb !== 'change')) return undefined
  const nodad = rest.at(-1) === 'nodad'
  const options = nodad ? rest.slice(0, -1) : rest
  const [ipText = '', prefixText = ''] = (cidrText ?? '').split('/')
  const family: 4 | 6 | undefined = isIPv4(ipText) ? 4 : isIPv6(ipText) ? 6 : undefined
  const prefix = Number(prefixText)
  if (
    family === undefined ||
    !/^\d{1,3}$/.test(prefixText) ||
    prefix > (family === 4 ? 32 : 128) ||
    devWord !== 'dev' ||
    !dev
  )
    return `ip ${args.join(' ')}: not an address change this agent makes`
  const address: ParsedAddress = { cidr: cidrText!, ip: ipBytes(ipText, family), family, prefix, dev, nodad }
  if (verb !== 'change')
    return options.length === 0 ? { op: verb, address } : `ip ${args.join(' ')}: unknown options`
  const [v, valid, p, preferred, ...extra] = options
  if (v !== 'valid_lft' || p !== 'preferred_lft' || valid !== preferred || extra.length > 0)
    return `ip ${args.join(' ')}: a lifetime change sets valid_lft and preferred_lft alike`
  const lifetime = valid === 'forever' ? INFINITY_LIFE_TIME : Number(valid)
  if (!Number.isInteger(lifetime) || lifetime < 0 || lifetime > INFINITY_LIFE_TIME)
    return `ip ${args.join(' ')}: the lifetime is not a number of seconds`
  return { op: 'change', address, lifetime }
}

/** An address's bytes in network order (IPv6 with `::` and a dotted IPv4 tail). */
export function ipBytes(ip: string, family: 4 | 6): Buffer {
  if (family === 4) return Buffer.from(ip.split('.').map(Number))
  let text = ip
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const groups = (part: string) => (part === '' ? [] : part.split(':'))
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  const words = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  const out = Buffer.alloc(16)
  for (const [i, w] of words.entries()) out.writeUInt16BE(Number.parseInt(w, 16), i * 2)
  return out
}
