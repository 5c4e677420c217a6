import { cidr, type InterfaceAddress, normalizeIp } from '../../model/ip.js'
import { inSubnet, prefixToNetmask } from '../../model/ipv4-subnet.js'
import type { AddressControl, CommandResult, CommandRunner } from '../../model/ports.js'
import { addressCommandError, commonHints, type Hint } from './command-failure.js'
import { type IfconfigAddress, parseIfconfig } from './ifconfig-output.js'

export interface DarwinAddressOptions {
  readonly runner: CommandRunner
  readonly ifconfig?: string
  /** Thomas Habets' `arping` (Homebrew), optional: see `announce`. */
  readonly arping?: string
  readonly timeoutMs?: number
}

const NO_INTERFACE = /does not exist/

type Reading =
  | { readonly exists: true; readonly addresses: IfconfigAddress[] }
  | { readonly exists: false; readonly argv: string[]; readonly result: CommandResult }

/**
 * Address control with macOS `ifconfig` aliases.
 *
 * The /32 rule (Apple's IP failover manual): an alias in the same subnet as the interface's first
 * IPv4 address must have netmask 255.255.255.255, or the kernel refuses a second route for that
 * subnet. So `add` reads the interface first. For the same reason `present` compares IP and interface
 * only: an alias added under that rule shows as /32, not with the prefix it was configured with.
 */
export function darwinAddressControl(opts: DarwinAddressOptions): AddressControl {
  const ifconfig = opts.ifconfig ?? 'ifconfig'
  const arping = opts.arping ?? 'arping'
  const runOpts = opts.timeoutMs === undefined ? undefined : { timeoutMs: opts.timeoutMs }

  const run = async (argv: readonly string[]): Promise<{ argv: string[]; result: CommandResult }> => {
    const [command = '', ...args] = argv
    return { argv: [...argv], result: await opts.runner.run(command, args, runOpts) }
  }

  const hints = (a: Pick<InterfaceAddress, 'interface'>): Hint[] => [
    ...commonHints({ command: ifconfig, installHint: 'ifconfig ships with macOS: check PATH (/sbin)' }),
    [NO_INTERFACE, `interface "${a.interface}" does not exist: check the name with \`ifconfig -l\``],
  ]

  /** The interface's addresses; `exists: false` (with the failed command) when there is no such interface. */
  const read = async (name: string): Promise<Reading> => {
    const { argv, result } = await run([ifconfig, name])
    if (result.exitCode === 0) return { exists: true, addresses: parseIfconfig(result.stdout) }
    if (NO_INTERFACE.test(result.stderr)) return { exists: false, argv, result }
    throw addressCommandError(`reading ${name}`, argv, result, hints({ interface: name }))
  }

  const holds = (addresses: readonly IfconfigAddress[], a: InterfaceAddress) =>
    addresses.some((x) => x.family === a.family && x.ip === normalizeIp(a.ip))

  return {
    async present(candidates) {
      const byInterface = new Map<string, readonly IfconfigAddress[]>()
      for (const name of new Set(candidates.map((a) => a.interface))) {
        const reading = await read(name)
        byInterface.set(name, reading.exists ? reading.addresses : [])
      }
      return candidates.filter((a) => holds(byInterface.get(a.interface) ?? [], a))
    },

    async add(a) {
      const reading = await read(a.interface)
      if (!reading.exists) {
        throw addressCommandError(
          `adding ${cidr(a)} to ${a.interface}`,
          reading.argv,
          reading.result,
          hints(a),
        )
      }
      const current = reading.addresses
      // ifconfig would quietly rewrite the mask of an alias that is already there; leave it be.
      if (holds(current, a)) return
      const argv =
        a.family === 4
          ? [ifconfig, a.interface, 'alias', a.ip, 'netmask', aliasNetmask(a, current)]
          : [ifconfig, a.interface, 'inet6', a.ip, 'prefixlen', String(a.prefix), 'alias']
      const { result } = await run(argv)
      if (result.exitCode === 0 || /File exists/i.test(result.stderr)) return
      throw addressCommandError(`adding ${cidr(a)} to ${a.interface}`, argv, result, hints(a))
    },

    async remove(a) {
      const argv =
        a.family === 4
          ? [ifconfig, a.interface, '-alias', a.ip]
          : [ifconfig, a.interface, 'inet6', a.ip, '-alias']
      const { result } = await run(argv)
      if (result.exitCode === 0 || /Can't assign requested address/i.test(result.stderr)) return
      throw addressCommandError(`removing ${cidr(a)} from ${a.interface}`, argv, result, hints(a))
    },

    /**
     * IPv4: the kernel already sent one gratuitous ARP when the alias was added. macOS has no tool to
     * repeat it; when Homebrew's arping (Thomas Habets') is installed we send `count` more with it,
     * otherwise that single kernel ARP is all there is. Flags from its manual; not run on a Mac here.
     *
     * IPv6: nothing is sent. xnu sends an unsolicited NA after DAD only on interfaces marked
     * "replicated", which is not the default, and macOS ships no tool for it. Neighbours move to the
     * new MAC when their cache entry goes stale and their reachability probe fails (tens of seconds).
     */
    async announce(a, { count, intervalMs }) {
      if (a.family === 6 || count < 1) return
      const seconds = (intervalMs / 1000).toString()
      const argv = [
        arping,
        '-q',
        '-U',
        '-c',
        String(count),
        '-W',
        seconds,
        '-i',
        a.interface,
        '-S',
        a.ip,
        a.ip,
      ]
      const { result } = await run(argv)
      if (result.exitCode === 0 || /is not installed/.test(result.stderr)) return
      throw addressCommandError(
        `announcing ${a.ip} on ${a.interface} (gratuitous ARP)`,
        argv,
        result,
        hints(a),
      )
    },
  }
}

/** The netmask for an IPv4 alias: /32 when it shares the primary address's subnet (the /32 rule). */
function aliasNetmask(a: InterfaceAddress, current: readonly IfconfigAddress[]): string {
  const primary = current.find((x) => x.family === 4)
  if (primary !== undefined && inSubnet(a.ip, primary.ip, primary.prefix)) return '255.255.255.255'
  return prefixToNetmask(a.prefix)
}
