import * as Flags from '@oclif/core/flags'
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
  }> {
    const { flags } = await this.parse(ConfigCheck)
    const { loadConfigFile } = await import('@ipfo/core/config-file')
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
    return {
      file: flags.config,
      ok: true,
      node: config.node,
      detectionMs: config.deadAfter,
      links: config.links.map((l) => l.name),
      peers: config.peers.map((p) => p.id),
      checks,
    }
  }
}
