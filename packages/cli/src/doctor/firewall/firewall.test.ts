import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { iptablesBackend, iptablesBaseChains, iptablesTables } from './iptables.js'
import { judgeHeartbeat } from './judge.js'
import { nftBaseChains } from './nftables.js'
import type { Probe } from './rules.js'

// Recorded with fixtures/record.sh: each *.out is exactly what nft -j / iptables-save printed for the
// ruleset of the same name.
const recorded = (name: string) => readFileSync(new URL(`fixtures/${name}.out`, import.meta.url), 'utf8')
const nft = (name: string) => nftBaseChains(recorded(name))
const ipt = (name: string, family: 4 | 6 = 4) => iptablesBaseChains(recorded(name), family)

/** The peer's heartbeats on the private link (eth1) and on the public one (eth0). */
const privateLink: Probe = {
  family: 4,
  dport: 1694,
  sport: 1694,
  iif: 'eth1',
  saddr: '10.0.0.2',
  daddr: '10.0.0.1',
}
const publicLink: Probe = {
  family: 4,
  dport: 1694,
  sport: 1694,
  iif: 'eth0',
  saddr: '192.0.2.9',
  daddr: '192.0.2.2',
}
const loopback: Probe = {
  family: 4,
  dport: 1694,
  sport: 1695,
  iif: 'lo',
  saddr: '127.0.0.1',
  daddr: '127.0.0.1',
}
const privateV6: Probe = {
  family: 6,
  dport: 1694,
  sport: 1694,
  iif: 'eth1',
  saddr: 'fd00::2',
  daddr: 'fd00::1',
}

describe('nftables (nft -j list ruleset)', () => {
  it('lets everything in with no ruleset, or with Debian default chains', () => {
    expect(nft('nft-empty')).toEqual([])
    expect(judgeHeartbeat(nft('nft-empty'), privateLink)).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(nft('nft-debian-default'), privateLink)).toEqual({ verdict: 'accept' })
  })

  it('a drop policy with only SSH open: heartbeats get in only as replies, with the exact rule to add', () => {
    const bases = nft('nft-ssh-only')
    expect(judgeHeartbeat(bases, privateLink)).toEqual({
      verdict: 'reply-only',
      by: 'the drop policy of nftables inet filter input',
      fixes: ['nft insert rule inet filter input iifname "eth1" ip saddr 10.0.0.2 udp dport 1694 accept'],
    })
    expect(judgeHeartbeat(bases, privateV6)).toMatchObject({
      verdict: 'reply-only',
      fixes: ['nft insert rule inet filter input iifname "eth1" ip6 saddr fd00::2 udp dport 1694 accept'],
    })
    expect(judgeHeartbeat(bases, loopback)).toEqual({ verdict: 'accept' })
  })

  it('reads verdict maps, named sets and address matches', () => {
    const bases = nft('nft-heartbeat-allowed')
    expect(judgeHeartbeat(bases, privateLink)).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(bases, { ...privateLink, dport: 1695 })).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(bases, { ...privateLink, dport: 1696 }).verdict).toBe('reply-only')
    expect(judgeHeartbeat(bases, { ...privateLink, saddr: '10.0.0.3' }).verdict).toBe('reply-only')
    expect(judgeHeartbeat(bases, publicLink).verdict).toBe('reply-only')
  })

  it('cannot tell when the rule that decides looks at something unknown', () => {
    const { iif: _, ...noInterface } = privateLink
    expect(judgeHeartbeat(nft('nft-heartbeat-allowed'), noInterface)).toEqual({
      verdict: 'unknown',
      because: 'rule handle 5 in chain input (nftables inet filter input)',
      fixes: ['nft insert rule inet filter input ip saddr 10.0.0.2 udp dport 1694 accept'],
    })
    expect(judgeHeartbeat(nft('nft-rate-limited'), privateLink)).toMatchObject({
      verdict: 'unknown',
      because: 'rule handle 2 in chain input (nftables inet filter input)',
    })
  })

  it('follows jumps, gotos and interface maps into zone chains', () => {
    const bases = nft('nft-zones')
    expect(judgeHeartbeat(bases, privateLink)).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(bases, { ...privateLink, saddr: '10.0.1.2' })).toEqual({
      verdict: 'reply-only',
      by: 'rule handle 9 in chain input (nftables inet zones input)',
      fixes: ['nft insert rule inet zones input iifname "eth1" ip saddr 10.0.1.2 udp dport 1694 accept'],
    })
    expect(judgeHeartbeat(bases, publicLink).verdict).toBe('reply-only')
  })

  it('an explicit drop rule fails even replies, and names the rule; an ip table leaves IPv6 alone', () => {
    const bases = nft('nft-explicit-drop')
    expect(judgeHeartbeat(bases, privateLink)).toEqual({
      verdict: 'drop',
      by: 'rule handle 2 "no heartbeats" in chain input (nftables ip filter input)',
      fixes: ['nft insert rule ip filter input iifname "eth1" ip saddr 10.0.0.2 udp dport 1694 accept'],
    })
    expect(judgeHeartbeat(bases, privateV6)).toEqual({ verdict: 'accept' })
  })

  it("cannot read iptables-nft's own rules (opaque xt matches), which iptables-save reads exactly", () => {
    expect(judgeHeartbeat(nft('nft-of-iptables-ufw-like'), privateLink).verdict).toBe('unknown')
    const save = recorded('iptables-ufw-like')
    expect(iptablesBackend(save)).toBe('nf_tables')
    expect(iptablesTables(save)).toEqual(['filter'])
    const bases = [
      ...nftBaseChains(recorded('nft-of-iptables-ufw-like'), {
        skipTables: [{ family: 'ip', name: 'filter' }],
      }),
      ...iptablesBaseChains(save, 4),
    ]
    expect(judgeHeartbeat(bases, privateLink)).toEqual({ verdict: 'accept' })
  })
})

describe('iptables (iptables-save, ip6tables-save)', () => {
  it('lets everything in with no filter table', () => {
    expect(ipt('iptables-empty')).toEqual([])
    expect(judgeHeartbeat(ipt('iptables-empty'), privateLink)).toEqual({ verdict: 'accept' })
  })

  it('a DROP policy with only SSH open: replies only, with the exact iptables command', () => {
    expect(judgeHeartbeat(ipt('iptables-ssh-only'), privateLink)).toEqual({
      verdict: 'reply-only',
      by: 'the drop policy of iptables filter INPUT',
      fixes: ['iptables -I INPUT -i eth1 -s 10.0.0.2 -p udp --dport 1694 -j ACCEPT'],
    })
    expect(judgeHeartbeat(ipt('iptables-ssh-only'), loopback)).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(ipt('ip6tables-ssh-only', 6), privateV6)).toEqual({
      verdict: 'reply-only',
      by: 'the drop policy of ip6tables filter INPUT',
      fixes: ['ip6tables -I INPUT -i eth1 -s fd00::2 -p udp --dport 1694 -j ACCEPT'],
    })
  })

  it('reads interfaces, sources, ports, multiport lists and comments', () => {
    const bases = ipt('iptables-heartbeat-allowed')
    expect(judgeHeartbeat(bases, privateLink)).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(bases, { ...privateLink, saddr: '10.0.0.3' }).verdict).toBe('reply-only')
    expect(judgeHeartbeat(bases, publicLink).verdict).toBe('reply-only')
  })

  it('follows user chains (ufw) to a REJECT at the end', () => {
    const bases = ipt('iptables-ufw-like')
    expect(judgeHeartbeat(bases, publicLink)).toEqual({ verdict: 'accept' })
    expect(judgeHeartbeat(bases, { ...publicLink, dport: 2000 })).toEqual({
      verdict: 'reply-only',
      by: '-A ufw-reject-input -j REJECT --reject-with icmp-port-unreachable (iptables filter INPUT)',
      fixes: ['iptables -I INPUT -i eth0 -s 192.0.2.9 -p udp --dport 2000 -j ACCEPT'],
    })
  })

  it('an explicit DROP rule fails, naming the rule', () => {
    expect(judgeHeartbeat(ipt('iptables-explicit-drop'), privateLink)).toEqual({
      verdict: 'drop',
      by: '-A INPUT -p udp -m udp --dport 1694 -j DROP (iptables filter INPUT)',
      fixes: ['iptables -I INPUT -i eth1 -s 10.0.0.2 -p udp --dport 1694 -j ACCEPT'],
    })
  })
})
