import { setTimeout as sleep } from 'node:timers/promises'
import { ToolMissingError } from '../../model/errors.js'
import { addressKey, cidr, type InterfaceAddress, normalizeIp } from '../../model/ip.js'
import type {
  AddressControl,
  AddressLifetime,
  CommandResult,
  CommandRunner,
  FrameSender,
  IpBatch,
  TakeoverTrace,
} from '../../model/ports.js'
import { gratuitousArp } from './arp-frame.js'
import { addressCommandError, commonHints, type Hint } from './command-failure.js'
import { runSpaced } from './spaced-runs.js'

export interface LinuxAddressOptions {
  readonly runner: CommandRunner
  /** The `ip` binary (iproute2). */
  readonly ip?: string
  /** iputils' `arping`, for gratuitous ARP. */
  readonly arping?: string
  /** `na6` from ipv6toolkit, for unsolicited neighbour advertisements. */
  readonly na6?: string
  /** Run every command inside this network namespace (`ip netns exec <ns> ...`): for tests and demos. */
  readonly netns?: string
  /** How announcements wait between packets; tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>
  /**
   * A long-lived `ip -batch -` (node/ip-batch.ts) for adding and removing addresses; without it each
   * change starts an `ip` process (a few milliseconds each). It must run in `netns` too.
   */
  readonly batch?: IpBatch
  /**
   * Sends gratuitous ARPs as raw frames from a long-lived process (node/socat-frames.ts); without it,
   * or when it cannot, each announcement starts an `arping`. It must run in `netns` too.
   */
  readonly frames?: FrameSender
  /** Per command; the default runner's applies when unset. */
  readonly timeoutMs?: number
  /** Marks an acquire's add handed over and the gratuitous ARP sent with it (agent's `traceTakeovers`). */
  readonly trace?: TakeoverTrace
  /**
   * Commands known not to be installed (arping, na6): an announcement that needs one throws a
   * ToolMissingError at once instead of starting it, since the agent said so at start.
   */
  readonly missing?: ReadonlySet<string>
}

/** `ip -j addr show`, the part we read. */
interface IpAddrJson {
  ifname?: string
  addr_info?: { local?: string; prefixlen?: number; valid_life_time?: number }[]
}

/** What `ip -j` shows as the valid lifetime of an address that never expires (the kernel's INFINITY_LIFE_TIME). */
const FOREVER = 0xffffffff

/**
 * Address control with iproute2. IPv6 addresses are added with `nodad`: a VIP must answer at once, not
 * after a second of duplicate address detection, and ipfo checks for a duplicate holder itself.
 *
 * With a `batch`, adds and removes are lines written to one long-lived `ip -batch -` that `prepare`
 * starts: a takeover's address change then starts no process.
 *
 * Announcements:
 * - IPv4: `arping -U` (iputils) sends a gratuitous ARP request. Its `-i` takes whole seconds only and
 *   it lingers an interval after the last packet, so each announcement is its own `-c 1` run, started
 *   `intervalMs` apart.
 * - IPv6: `na6` (Debian package ipv6toolkit) sends an unsolicited neighbour advertisement to ff02::1
 *   with the override flag and our MAC as target link-layer address. The kernel's own
 *   `ndisc_notify` sysctl was tried and rejected: it sends one NA when DAD completes, and none at all
 *   for a `nodad` address, so it can neither announce our VIPs nor repeat. ndisc6 only solicits.
 */
export function linuxAddressControl(opts: LinuxAddressOptions): AddressControl {
  const ip = opts.ip ?? 'ip'
  const arping = opts.arping ?? 'arping'
  const na6 = opts.na6 ?? 'na6'
  const wait = opts.sleep ?? ((ms: number) => sleep(ms))

  const inNetns = (argv: readonly string[]): string[] =>
    opts.netns === undefined ? [...argv] : [ip, 'netns', 'exec', opts.netns, ...argv]
  const run = async (argv: readonly string[]): Promise<{ argv: string[]; result: CommandResult }> => {
    const full = inNetns(argv)
    const [command = '', ...args] = full
    const runOpts = opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs }
    return { argv: full, result: await opts.runner.run(command, args, runOpts) }
  }
  /** Each interface's MAC, for gratuitous ARP frames; read when `prepare` starts the frame senders. */
  const macs = new Map<string, string>()
  const readMacs = async () => {
    const { result } = await run([ip, '-j', 'link', 'show']).catch(() => ({ result: undefined }))
    if (result?.exitCode !== 0) return
    try {
      for (const link of JSON.parse(result.stdout) as { ifname?: string; address?: string }[])
        if (link.ifname && link.address) macs.set(link.ifname, link.address)
    } catch {
      // Unreadable: announcements use arping.
    }
  }
  /** One gratuitous ARP frame, when IPv4, a frame sender and the MAC allow; false when not sent. */
  const sendFrame = (a: InterfaceAddress) => {
    const mac = macs.get(a.interface)
    if (a.family !== 4 || !opts.frames || mac === undefined) return false
    return opts.frames.send(a.interface, gratuitousArp(mac, a.ip))
  }
  /**
   * Removals by address. An announcement still repeating when its address is removed stops: a
   * gratuitous ARP for an address this node no longer holds would point clients at the wrong MAC,
   * just as the new holder announces itself.
   */
  const removals = new Map<string, number>()
  const removedSince = (a: InterfaceAddress) => {
    const key = addressKey(a)
    const at = removals.get(key) ?? 0
    return () => (removals.get(key) ?? 0) !== at
  }
  /** Addresses whose first gratuitous ARP went out with their add: their announcement sends the rest. */
  const announcedWithAdd = new Set<string>()
  /**
   * IPv4 with a frame sender and a known MAC: the gratuitous ARP goes out as a frame, `count` times
   * (the first may have gone with the add). False when it could not send the first one: the caller
   * runs arping instead.
   */
  const announceByFrames = async (a: InterfaceAddress, count: number, intervalMs: number) => {
    const removed = removedSince(a)
    if (announcedWithAdd.delete(addressKey(a))) {
      if (count <= 1) return true
      await wait(intervalMs)
      if (removed()) return true
      count--
    }
    if (!sendFrame(a)) return false
    for (let i = 1; i < count; i++) {
      await wait(intervalMs)
      if (removed()) return true
      sendFrame(a)
    }
    return true
  }
  /** Adds and removes go through the long-lived `ip -batch` when there is one: no process to start. */
  const change = async (
    argv: readonly string[],
    sendWithinMs?: number,
  ): Promise<{ argv: string[]; result: CommandResult }> => {
    if (!opts.batch) return run(argv)
    const runOpts = {
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(sendWithinMs === undefined ? {} : { sendWithinMs }),
    }
    const args = argv.slice(1)
    const shown = [ip, ...(opts.netns === undefined ? [] : ['-n', opts.netns]), ...args]
    return { argv: shown, result: await opts.batch.run(args, runOpts) }
  }
  const addArgv = (a: InterfaceAddress) => [
    ip,
    'addr',
    'add',
    cidr(a),
    'dev',
    a.interface,
    ...(a.family === 6 ? ['nodad'] : []),
  ]
  const removeArgv = (a: InterfaceAddress) => [ip, 'addr', 'del', cidr(a), 'dev', a.interface]
  // `change` keeps the flags it is given and clears the others: an IPv6 VIP keeps its `nodad`.
  const lifetimeArgv = (a: InterfaceAddress, lifetime: AddressLifetime) => [
    ip,
    'addr',
    'change',
    cidr(a),
    'dev',
    a.interface,
    'valid_lft',
    String(lifetime),
    'preferred_lft',
    String(lifetime),
    ...(a.family === 6 ? ['nodad'] : []),
  ]
  const announceArgv = (a: InterfaceAddress) =>
    a.family === 4
      ? [arping, '-q', '-U', '-c', '1', '-I', a.interface, a.ip]
      : [na6, '-i', a.interface, '-s', a.ip, '-d', 'ff02::1', '-t', a.ip, '-o', '-e']

  const ipHints = (a?: InterfaceAddress): Hint[] => [
    ...commonHints({ command: ip, installHint: 'install iproute2 (apt-get install iproute2)' }),
    [
      /Cannot find device/,
      `interface "${a?.interface ?? ''}" does not exist: check the interface name with \`ip link\``,
    ],
    [/Cannot open network namespace/, 'check the namespace name with `ip netns list`'],
  ]

  const control: AddressControl = {
    async present(candidates) {
      if (candidates.length === 0) return []
      const { argv, result } = await run([ip, '-j', 'addr', 'show'])
      if (result.exitCode !== 0) throw addressCommandError('listing addresses', argv, result, ipHints())
      const onInterfaces = new Set(parseIpAddrJson(result.stdout, argv, result).map(addressKey))
      return candidates.filter((a) => onInterfaces.has(addressKey({ ...a, ip: normalizeIp(a.ip) })))
    },

    async lifetimes(candidates) {
      if (candidates.length === 0) return []
      const { argv, result } = await run([ip, '-j', 'addr', 'show'])
      if (result.exitCode !== 0) throw addressCommandError('listing addresses', argv, result, ipHints())
      const left = new Map(
        parseIpAddrJson(result.stdout, argv, result).map((a) => [addressKey(a), a.validLifeTime] as const),
      )
      return candidates.flatMap((a) => {
        const seconds = left.get(addressKey({ ...a, ip: normalizeIp(a.ip) }))
        if (seconds === undefined) return []
        return [{ address: a, left: seconds === FOREVER ? ('forever' as const) : seconds }]
      })
    },

    async setLifetime(a, lifetime, setOpts) {
      const { argv, result } = await change(lifetimeArgv(a, lifetime), setOpts?.sendWithinMs)
      if (result.exitCode === 0) return
      throw addressCommandError(
        `setting the lifetime of ${cidr(a)} on ${a.interface}`,
        argv,
        result,
        ipHints(a),
      )
    },

    async interfaces() {
      const { argv, result } = await run([ip, '-j', 'addr', 'show'])
      if (result.exitCode !== 0) throw addressCommandError('listing addresses', argv, result, ipHints())
      const byName: Record<string, InterfaceAddress[]> = {}
      for (const link of JSON.parse(result.stdout || '[]') as IpAddrJson[])
        if (link.ifname) byName[link.ifname] = []
      for (const { validLifeTime: _, ...a } of parseIpAddrJson(result.stdout, argv, result))
        byName[a.interface]?.push(a)
      return byName
    },

    prepare(addresses) {
      opts.batch?.start()
      if (!opts.frames) return
      const interfaces = [...new Set(addresses.filter((a) => a.family === 4).map((a) => a.interface))]
      for (const name of interfaces) opts.frames.start(name)
      if (interfaces.length > 0) void readMacs()
    },

    close() {
      opts.batch?.close()
      opts.frames?.close()
    },

    async rehearse(addresses) {
      for (const a of addresses) {
        addArgv(a)
        const mac = macs.get(a.interface)
        if (a.family === 4 && mac !== undefined) gratuitousArp(mac, a.ip)
      }
      // A command that reads and changes nothing makes the round trip through the long-lived
      // `ip -batch` that an add makes, answered the same way.
      if (opts.batch) await change([ip, 'link', 'show', 'dev', 'lo'])
    },

    async add(a, addOpts) {
      const adding = change(addArgv(a))
      opts.trace?.mark('add')
      // The first gratuitous ARP goes out with the add, not after its answer. Over rtnetlink the
      // request has as a rule reached the kernel by now (netlink-batch.ts hands it to the socket
      // within `change` when nothing is ahead of it), so the frame does not name an address not here
      // yet. Through `ip -batch`, ip
      // and the frame sender run side by side rather than one after the other, which on a busy
      // machine spares clients a millisecond or more of sending to the old holder's MAC; a client
      // quick enough to send before the kernel has the address just sends again. If the add fails,
      // the address could not be served from here anyway, and the checklist reports it. Only with the
      // batch: a one-shot ip would take milliseconds to start, and the frame would be that much ahead.
      if (addOpts?.announce && opts.batch && sendFrame(a)) {
        announcedWithAdd.add(addressKey(a))
        opts.trace?.mark('frame')
      }
      const { argv, result } = await adding
      if (result.exitCode === 0) return
      // Older iproute2 says "RTNETLINK answers: File exists"; 6.x "Address already assigned".
      if (/File exists|already assigned/i.test(result.stderr)) return
      announcedWithAdd.delete(addressKey(a))
      throw addressCommandError(`adding ${cidr(a)} to ${a.interface}`, argv, result, ipHints(a))
    },

    async remove(a) {
      removals.set(addressKey(a), (removals.get(addressKey(a)) ?? 0) + 1)
      announcedWithAdd.delete(addressKey(a))
      const { argv, result } = await change(removeArgv(a))
      if (result.exitCode === 0) return
      if (/Cannot assign requested address|address not found/i.test(result.stderr)) return
      throw addressCommandError(`removing ${cidr(a)} from ${a.interface}`, argv, result, ipHints(a))
    },

    async announce(a, { count, intervalMs }) {
      if (count > 0 && (await announceByFrames(a, count, intervalMs))) return
      const tool = a.family === 4 ? arping : na6
      if (opts.missing?.has(tool))
        throw new ToolMissingError(tool, `${tool} is not installed: ${a.ip} was not announced`)
      const argv = announceArgv(a)
      const removed = removedSince(a)
      const failure = await runSpaced({
        count,
        intervalMs,
        sleep: wait,
        stopped: removed,
        start: () => run(argv),
        failed: ({ result }) => result.exitCode !== 0,
      })
      if (failure === undefined) return
      const what = a.family === 4 ? 'gratuitous ARP' : 'unsolicited neighbour advertisement'
      throw addressCommandError(
        `announcing ${a.ip} on ${a.interface} (${what})`,
        failure.argv,
        failure.result,
        [...(a.family === 4 ? arpingHints(arping) : na6Hints(na6)), ...ipHints(a)],
      )
    },
  }
  if (opts.batch) return control
  // Without the batch's one queue, a lifetime change and a remove run as separate processes, in no
  // sure order: a change landing after the remove would add the address back. No lifetimes then.
  const { setLifetime: _set, lifetimes: _look, ...withoutLifetimes } = control
  return withoutLifetimes
}

function arpingHints(arping: string): Hint[] {
  return [
    ...commonHints({
      command: arping,
      installHint: 'install iputils arping (apt-get install iputils-arping)',
    }),
    // Thomas Habets' arping (Debian package "arping") takes other flags.
    [/invalid option|unknown option|usage/i, 'ipfo needs the iputils arping: apt-get install iputils-arping'],
    [/not available|No such device/i, 'check the interface name with `ip link` and that it is up'],
  ]
}

function na6Hints(na6: string): Hint[] {
  return [
    ...commonHints({
      command: na6,
      installHint: 'install na6 with the ipv6toolkit package (apt-get install ipv6toolkit)',
    }),
    [/No such device/i, 'check the interface name with `ip link` and that it is up'],
  ]
}

function parseIpAddrJson(
  stdout: string,
  argv: readonly string[],
  result: CommandResult,
): (InterfaceAddress & { readonly validLifeTime: number })[] {
  let links: IpAddrJson[]
  try {
    links = JSON.parse(stdout) as IpAddrJson[]
  } catch {
    throw addressCommandError('reading `ip -j addr show` output (not JSON)', argv, result, [
      [/.*/, 'ipfo needs iproute2 4.13 or newer for JSON output (`ip -j`)'],
    ])
  }
  return links.flatMap((link) =>
    (link.addr_info ?? []).flatMap((info) =>
      link.ifname && info.local && info.prefixlen !== undefined
        ? [
            {
              interface: link.ifname,
              ip: normalizeIp(info.local),
              prefix: info.prefixlen,
              family: info.local.includes(':') ? (6 as const) : (4 as const),
              validLifeTime: info.valid_life_time ?? FOREVER,
            },
          ]
        : [],
    ),
  )
}
