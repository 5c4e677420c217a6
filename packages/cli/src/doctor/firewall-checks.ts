import { isIPv6 } from 'node:net'
import type { CommandRunner, Config } from '@ipfo/core'
import { type CheckResult, fail, pass, warn } from './check.js'
import { iptablesBackend, iptablesBaseChains, iptablesTables } from './firewall/iptables.js'
import { type Finding, findingRank, judgeHeartbeat } from './firewall/judge.js'
import { nftBaseChains } from './firewall/nftables.js'
import type { BaseChain, Probe } from './firewall/rules.js'

const KEEP =
  'then keep it across reboots the way this host keeps its firewall (/etc/nftables.conf, netfilter-persistent, ufw or firewalld)'

/** The firewall rules of this host, from whichever of nft, iptables-save and ip6tables-save work. */
export type FirewallRules =
  | { readonly ok: true; readonly bases: readonly BaseChain[]; readonly sources: readonly string[] }
  | { readonly ok: false; readonly why: string; readonly hint: string }

export async function readFirewall(runner: CommandRunner, ipv6: boolean): Promise<FirewallRules> {
  const run = (cmd: string, args: string[]) => runner.run(cmd, args, { timeoutMs: 5_000 })
  const [nft, ipt, ip6t] = await Promise.all([
    run('nft', ['-j', 'list', 'ruleset']),
    run('iptables-save', []),
    ipv6 ? run('ip6tables-save', []) : undefined,
  ])
  const bases: BaseChain[] = []
  const sources: string[] = []
  const failures: string[] = []
  // iptables-nft rules live in nftables too, where nft shows their matches as opaque "xt": read them
  // from iptables-save instead, and leave those tables out of the nftables reading.
  const skipTables: { family: string; name: string }[] = []
  for (const [result, family, tool] of [
    [ipt, 4, 'iptables-save'],
    [ip6t, 6, 'ip6tables-save'],
  ] as const) {
    if (result === undefined || result.exitCode === null) continue
    if (result.exitCode !== 0) {
      failures.push(`${tool}: ${firstLine(result.stderr)}`)
      continue
    }
    const chains = iptablesBaseChains(result.stdout, family)
    if (iptablesBackend(result.stdout) === 'nf_tables')
      for (const name of iptablesTables(result.stdout))
        skipTables.push({ family: family === 4 ? 'ip' : 'ip6', name })
    bases.push(...chains)
    sources.push(tool.replace('-save', ''))
  }
  if (nft.exitCode === 0) {
    try {
      bases.unshift(...nftBaseChains(nft.stdout, { skipTables }))
      sources.unshift('nftables')
    } catch (error) {
      failures.push(`nft: ${(error as Error).message}`)
    }
  } else if (nft.exitCode !== null) failures.push(`nft: ${firstLine(nft.stderr)}`)
  if (sources.length > 0) return { ok: true, bases, sources }
  if (failures.length > 0)
    return {
      ok: false,
      why: `cannot read the firewall rules (${failures.join('; ')})`,
      hint: 'run ipfo doctor as root',
    }
  return {
    ok: false,
    why: 'neither nft nor iptables-save is installed, so the firewall rules cannot be read',
    hint: 'if something else filters packets here, make sure it lets the heartbeat port in from the peer on every link',
  }
}

/** The heartbeat port is open to the peer on every link, as far as the firewall rules tell. */
export async function checkFirewall(config: Config, runner: CommandRunner): Promise<CheckResult[]> {
  const { parseTarget } = await import('@ipfo/core/agent')
  const links = config.links.map((link) => ({
    link,
    targets: link.targets.map((t) => parseTarget(t, config.port)),
  }))
  const rules = await readFirewall(
    runner,
    links.some((l) => l.targets.some((t) => isIPv6(t.host))),
  )
  if (!rules.ok) return [warn('firewall', rules.why, rules.hint)]
  const results: CheckResult[] = []
  for (const { link, targets } of links) {
    const check = `firewall on ${link.name}`
    const port = link.port ?? config.port
    let worst: { finding: Finding; probe: Probe } | undefined
    for (const target of targets) {
      const probe = await probeFor(runner, target, port, link.listen)
      const finding = judgeHeartbeat(rules.bases, probe)
      if (!worst || findingRank(finding) > findingRank(worst.finding)) worst = { finding, probe }
    }
    if (!worst) continue
    results.push(describe(check, worst.finding, worst.probe, rules.sources))
  }
  return results
}

function describe(check: string, f: Finding, p: Probe, sources: readonly string[]): CheckResult {
  const what = `UDP ${p.dport} from ${p.saddr ?? 'the peer'}${p.iif ? ` on ${p.iif}` : ''}`
  switch (f.verdict) {
    case 'accept':
      return pass(check, `${what} is let in (${sources.join(', ')})`)
    case 'reply-only':
      return warn(
        check,
        `${what} gets in only as a conntrack reply to this node's own heartbeats; otherwise ${f.by} drops it`,
        `let it in whoever sends first: ${f.fixes.join(' and ')}; ${KEEP}`,
      )
    case 'drop':
      return fail(check, `${what} is dropped by ${f.by}`, `${f.fixes.join(' and ')}; ${KEEP}`)
    case 'unknown':
      return warn(
        check,
        `cannot tell whether ${what} gets in: it depends on ${f.because}`,
        f.fixes.length ? `check that rule, or let heartbeats in first: ${f.fixes[0]}` : 'check that rule',
      )
  }
}

/** Where a peer's heartbeats come from and arrive, asked of the routing table (`ip route get`). */
async function probeFor(
  runner: CommandRunner,
  target: { host: string; port: number },
  port: number,
  listen: string | undefined,
): Promise<Probe> {
  const family = isIPv6(target.host) ? 6 : 4
  const result = await runner.run('ip', ['-j', 'route', 'get', target.host], { timeoutMs: 5_000 })
  const route =
    result.exitCode === 0
      ? (JSON.parse(result.stdout) as { type?: string; dev?: string; prefsrc?: string }[])[0]
      : undefined
  // Broadcast and multicast targets: the heartbeats come from the peer's own address, unknown here.
  const group =
    route?.type === 'broadcast' || route?.type === 'multicast' || target.host === '255.255.255.255'
  const wildcard = listen === undefined || listen === '0.0.0.0' || listen === '::'
  return {
    family,
    dport: port,
    sport: target.port,
    iif: route?.dev,
    saddr: group ? undefined : target.host,
    daddr: wildcard ? route?.prefsrc : listen,
  }
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? ''
