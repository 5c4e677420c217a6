import { stat } from 'node:fs/promises'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../model/errors.js'
import { type InterfaceAddress, normalizeIp } from '../model/ip.js'
import { inSubnet } from '../model/ipv4-subnet.js'
import type { AddressControl } from '../model/ports.js'

/**
 * Checks that need the machine, not just the file, run before the agent starts: every address sits
 * on an existing interface within one of that interface's subnets and is not there already with
 * another prefix, and the hooks folder is not writable by others (the agent runs its scripts as
 * root). Throws the first problem as a ConfigError naming the field.
 */
export async function preflight(
  config: Config,
  address: AddressControl,
  hooksDir: string | undefined,
  file: string,
  platform: NodeJS.Platform = process.platform,
) {
  if (platform === 'darwin' && config.arbitration.probe) {
    throw new ConfigError(
      `${file}: arbitration.probe: macOS has no tool for ARP duplicate-address detection`,
      {
        file,
        path: 'arbitration.probe',
        hint: 'use arbitration.witness (addresses that must answer a ping) on macOS',
      },
    )
  }
  await checkHooksDir(hooksDir, file)
  if (!address.interfaces) return
  const interfaces = await address.interfaces()
  const listed: { a: InterfaceAddress; path: string }[] = [
    ...config.owns.map((a, i) => ({ a, path: `owns[${i}].address` })),
    ...config.peers.flatMap((p, j) =>
      p.takeover.map((a, i) => ({ a, path: `peers[${j}].takeover[${i}].address` })),
    ),
  ]
  for (const { a, path } of listed) {
    const on = interfaces[a.interface]
    if (!on) {
      throw new ConfigError(`${file}: ${path}: interface ${a.interface} does not exist on this machine`, {
        file,
        path,
        hint: `use one of: ${Object.keys(interfaces).join(', ')}`,
      })
    }
    const elsewise = on.find(
      (x) => x.family === a.family && normalizeIp(x.ip) === normalizeIp(a.ip) && x.prefix !== a.prefix,
    )
    if (elsewise) {
      // The agent would add its own copy beside it and remove only that one when it lets the address
      // go: the other copy would go on answering for the address next to the peer that took it over.
      throw new ConfigError(
        `${file}: ${path}: ${a.ip} is already on ${a.interface} as ${a.ip}/${elsewise.prefix}, not /${a.prefix}: this agent would remove only its own copy when it lets the address go, and the other would go on answering beside the peer that took it over`,
        {
          file,
          path,
          hint: `remove it (ip addr del ${a.ip}/${elsewise.prefix} dev ${a.interface}), or write ${a.ip}/${elsewise.prefix} in the config`,
        },
      )
    }
    const own = on.filter((x) => x.family === a.family && normalizeIp(x.ip) !== normalizeIp(a.ip))
    const subnets = own.filter((x) => !(a.family === 6 && x.ip.startsWith('fe80:')))
    if (subnets.some((x) => sameSubnet(a, x))) continue
    const have = subnets.map((x) => `${x.ip}/${x.prefix}`).join(', ') || `no IPv${a.family} address`
    throw new ConfigError(
      `${file}: ${path}: ${a.ip}/${a.prefix} is on no subnet of ${a.interface} (which has ${have}): clients on that network could not reach it`,
      {
        file,
        path,
        hint: `use an address inside a subnet of ${a.interface}, or name the interface that carries ${a.ip}'s network`,
      },
    )
  }
}

function sameSubnet(vip: InterfaceAddress, iface: InterfaceAddress): boolean {
  if (vip.family === 4) return inSubnet(vip.ip, iface.ip, iface.prefix)
  const bits = (ip: string) =>
    expand6(ip)
      .map((g) => g.toString(2).padStart(16, '0'))
      .join('')
  return bits(vip.ip).slice(0, iface.prefix) === bits(iface.ip).slice(0, iface.prefix)
}

function expand6(ip: string): number[] {
  const [head = '', tail] = ip.split('::')
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right]
}

async function checkHooksDir(dir: string | undefined, file: string): Promise<void> {
  if (!dir) return
  const s = await stat(dir).catch(() => undefined)
  if (!s?.isDirectory()) return
  if (s.mode & 0o022) {
    const mode = (s.mode & 0o777).toString(8).padStart(4, '0')
    throw new ConfigError(
      `${file}: hooks.dir: ${dir} has mode ${mode}: others can write to it, and so make the agent run their program`,
      { file, path: 'hooks.dir', hint: `chmod go-w ${dir}` },
    )
  }
}
