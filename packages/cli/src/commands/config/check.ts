import { Flags } from '@oclif/core'
import { DEFAULT_CONFIG, IpfoCommand } from '../../base-command.js'

export default class ConfigCheck extends IpfoCommand {
  static override summary = 'Check a config file and its key, then exit (like heartbeatd -n).'
  static override examples = ['<%= config.bin %> config check --config /etc/ipfo/ipfo.yaml']
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file', default: DEFAULT_CONFIG }),
  }

  async run(): Promise<{
    file: string
    ok: true
    node: string
    detectionMs: number
    links: string[]
    peers: string[]
    /** Each health check, with the addresses that require it. */
    checks: { name: string; kind: string; intervalMs: number; requiredBy: string[] }[]
    /** The Prometheus endpoint's URL, or null without a metrics section. */
    metrics: string | null
  }> {
    const { flags } = await this.parse(ConfigCheck)
    const { loadConfigFile } = await import('@ipfo/core/agent')
    const { config } = await loadConfigFile(flags.config)
    this.log(
      `${flags.config} is valid: node ${config.node}, ${config.links.length} link(s), ${config.peers.length} peer(s)`,
    )
    this.log(`detection: a peer silent on every link for ${config.deadAfter}ms is taken over`)
    const addresses = [...config.owns, ...config.peers.flatMap((p) => p.takeover)]
    const checks = Object.entries(config.checks).map(([name, c]) => ({
      name,
      kind: c.kind,
      intervalMs: c.interval,
      requiredBy: addresses.filter((a) => a.requires.includes(name)).map((a) => a.ip),
    }))
    for (const c of checks)
      this.log(
        `check ${c.name}: ${c.kind} every ${c.intervalMs}ms, required by ${c.requiredBy.join(', ') || 'no address (it runs, and moves nothing)'}`,
      )
    const metrics = await metricsUrl(config.metrics)
    if (metrics) {
      this.log(`metrics: ${metrics.url}`)
      if (!metrics.loopback)
        this.warn(
          `metrics.listen ${config.metrics?.listen} is reachable from other machines, without authentication; ipfo doctor says more`,
        )
    }
    return {
      file: flags.config,
      ok: true,
      node: config.node,
      detectionMs: config.deadAfter,
      links: config.links.map((l) => l.name),
      peers: config.peers.map((p) => p.id),
      checks,
      metrics: metrics?.url ?? null,
    }
  }
}

async function metricsUrl(
  metrics: { listen: string; path: string } | undefined,
): Promise<{ url: string; loopback: boolean } | undefined> {
  if (!metrics) return undefined
  const { isLoopbackHost, parseListen } = await import('@ipfo/core')
  const listen = parseListen(metrics.listen)
  if (!listen.ok) return undefined
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  return { url: `http://${host}:${listen.port}${metrics.path}`, loopback: isLoopbackHost(listen.host) }
}
