import { isIPv4, isIPv6 } from 'node:net'

/** An address as ipfo manages it: an IP with its prefix, on an interface. */
export interface InterfaceAddress {
  readonly interface: string
  readonly ip: string
  readonly prefix: number
  readonly family: 4 | 6
}

/** Parses `"192.168.1.10/24"`, `"fd00::10/64"`, or a bare IP (which gets /32 or /128). */
export function parseCidr(
  text: string,
): { ok: true; ip: string; prefix: number; family: 4 | 6 } | { ok: false; reason: string } {
  const [ip = '', prefixText, ...rest] = text.trim().split('/')
  const family = isIPv4(ip) ? 4 : ip.includes(':') && isIPv6(ip) ? 6 : undefined
  if (family === undefined || rest.length > 0) {
    return {
      ok: false,
      reason: `"${text}" is not an IP address; write e.g. "192.168.1.10/24" or "fd00::10/64"`,
    }
  }
  const max = family === 4 ? 32 : 128
  if (prefixText === undefined) return { ok: true, ip: normalizeIp(ip), prefix: max, family }
  const prefix = Number(prefixText)
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
    return { ok: false, reason: `"${text}" has prefix /${prefixText}; an IPv${family} prefix is 0 to ${max}` }
  }
  return { ok: true, ip: normalizeIp(ip), prefix, family }
}

/** One spelling per address, so `fd00:0::1` and `fd00::1` compare equal. */
export function normalizeIp(ip: string): string {
  // An IPv4 address has no colon; the test spares it Node's IPv6 pattern, whose first use compiles a
  // large regular expression (5 ms of `ipfo config check`).
  if (!ip.includes(':') || !isIPv6(ip)) return ip
  return new URL(`http://[${ip}]`).hostname.slice(1, -1)
}

/** The key under which ipfo tracks an address: `"192.168.1.10/24@eth0"`. */
export function addressKey(a: Pick<InterfaceAddress, 'ip' | 'prefix' | 'interface'>): string {
  return `${a.ip}/${a.prefix}@${a.interface}`
}

/** `"192.168.1.10/24"`, as `ip addr` and hook variables write it. */
export function cidr(a: Pick<InterfaceAddress, 'ip' | 'prefix'>): string {
  return `${a.ip}/${a.prefix}`
}
