import { isIPv4 } from 'node:net'

const BROADCAST = Buffer.alloc(6, 0xff)
/** Ethernet type ARP; ARP over Ethernet (1) for IPv4 (0x0800), 6-byte MACs, 4-byte addresses, request (1). */
const ETHERTYPE_ARP = [0x08, 0x06]
const ARP_HEADER = [0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01]

/** Length of every frame `gratuitousArp` builds (Ethernet header 14 + ARP 28); the NIC pads it. */
export const GRATUITOUS_ARP_BYTES = 42

/**
 * A gratuitous ARP request announcing that `ip` is at `mac`, as iputils `arping -U` sends it:
 * broadcast, sender and target protocol address both `ip`, target hardware address broadcast.
 * Receivers that already know `ip` replace its MAC (RFC 5227 announcement).
 */
export function gratuitousArp(mac: string, ip: string): Buffer {
  const hw = macBytes(mac)
  if (!isIPv4(ip)) throw new Error(`gratuitous ARP is for IPv4 addresses, not "${ip}"`)
  const proto = Buffer.from(ip.split('.').map(Number))
  return Buffer.concat([
    BROADCAST,
    hw,
    Buffer.from(ETHERTYPE_ARP),
    Buffer.from(ARP_HEADER),
    hw,
    proto,
    BROADCAST,
    proto,
  ])
}

function macBytes(mac: string): Buffer {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac))
    throw new Error(`"${mac}" is not a MAC address (aa:bb:cc:dd:ee:ff)`)
  return Buffer.from(mac.split(':').map((h) => Number.parseInt(h, 16)))
}
