import { normalizeIp } from '../../model/ip.js'
import { netmaskToPrefix } from '../../model/ipv4-subnet.js'

export interface IfconfigAddress {
  readonly ip: string
  readonly prefix: number
  readonly family: 4 | 6
}

/**
 * The addresses in macOS `ifconfig <if>` output, in the order printed: the first `inet` line is the
 * interface's primary IPv4 address. Reads lines such as
 * `inet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255` and
 * `inet6 fe80::1c8a:2b3f:fe4d:5e6f%en0 prefixlen 64 secured scopeid 0x4`.
 */
export function parseIfconfig(output: string): IfconfigAddress[] {
  const addresses: IfconfigAddress[] = []
  for (const line of output.split('\n')) {
    const v4 = /^\s+inet (\d+\.\d+\.\d+\.\d+) netmask (0x[0-9a-f]+|[\d.]+)/i.exec(line)
    if (v4?.[1] && v4[2]) {
      const prefix = netmaskToPrefix(v4[2])
      if (prefix !== undefined) addresses.push({ ip: v4[1], prefix, family: 4 })
      continue
    }
    const v6 = /^\s+inet6 ([0-9a-f:.]+)(?:%\S+)? prefixlen (\d+)/i.exec(line)
    if (v6?.[1] && v6[2]) addresses.push({ ip: normalizeIp(v6[1]), prefix: Number(v6[2]), family: 6 })
  }
  return addresses
}
