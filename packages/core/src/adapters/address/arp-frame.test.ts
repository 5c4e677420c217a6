import { describe, expect, it } from 'vitest'
import { GRATUITOUS_ARP_BYTES, gratuitousArp } from './arp-frame.js'

describe('gratuitousArp', () => {
  it('is the frame iputils arping -U sends: broadcast, our MAC, ARP request with sender = target = the address', () => {
    const frame = gratuitousArp('e2:f6:56:af:a7:8b', '10.9.9.9')
    expect(frame).toHaveLength(GRATUITOUS_ARP_BYTES)
    // Ethernet header: to broadcast, from us, type ARP.
    expect(frame.subarray(0, 14).toString('hex')).toBe('ffffffffffff' + 'e2f656afa78b' + '0806')
    // The ARP part, byte for byte as `strace arping -q -U -c 1 -I v0 10.9.9.9` showed it sent.
    expect(frame.subarray(14)).toEqual(
      Buffer.from(
        '\0\x01\x08\0\x06\x04\0\x01\xe2\xf6V\xaf\xa7\x8b\n\t\t\t\xff\xff\xff\xff\xff\xff\n\t\t\t',
        'latin1',
      ),
    )
  })

  it('refuses what it cannot announce, naming it', () => {
    expect(() => gratuitousArp('e2:f6:56:af:a7', '10.9.9.9')).toThrow('"e2:f6:56:af:a7" is not a MAC address')
    expect(() => gratuitousArp('e2:f6:56:af:a7:8b', 'fd00::1')).toThrow('not "fd00::1"')
  })
})
