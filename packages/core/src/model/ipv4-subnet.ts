/** IPv4 prefix and netmask arithmetic, for platforms (macOS) whose tools speak netmasks. */

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

function maskNumber(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** 24 -> "255.255.255.0". */
export function prefixToNetmask(prefix: number): string {
  const mask = maskNumber(prefix)
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.')
}

/** "0xffffff00" (as ifconfig prints it) or "255.255.255.0" -> 24; undefined for a non-contiguous mask. */
export function netmaskToPrefix(mask: string): number | undefined {
  const n = mask.startsWith('0x') ? Number.parseInt(mask.slice(2), 16) : toNumber(mask)
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return undefined
  const bits = n.toString(2).padStart(32, '0')
  if (!/^1*0*$/.test(bits)) return undefined
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')
}

/** Whether `ip` lies in the subnet `network/prefix`. */
export function inSubnet(ip: string, network: string, prefix: number): boolean {
  const mask = maskNumber(prefix)
  return (toNumber(ip) & mask) >>> 0 === (toNumber(network) & mask) >>> 0
}
