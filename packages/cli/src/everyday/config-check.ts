import type { Output } from './output.js'

export interface ConfigSummary {
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
}

/** `ipfo config check`: the agent's own loading of the file and its keys, then a summary. */
export async function checkConfigFile(file: string, out: Output): Promise<ConfigSummary> {
  const { isLoopbackHost, loadConfigFile, parseListen } = await import('@ipfo/core/config-file')
  const { config } = await loadConfigFile(file)
  out.log(
    `${file} is valid: node ${config.node}, ${config.links.length} link(s), ${config.peers.length} peer(s)`,
  )
  out.log(`detection: a peer silent on every link for ${config.deadAfter}ms is taken over`)
  const addresses = [...config.owns, ...config.peers.flatMap((p) => p.takeover)]
  const checks = Object.entries(config.checks).map(([name, c]) => ({
    name,
    kind: c.kind,
    intervalMs: c.interval,
    requiredBy: addresses.filter((a) => a.requires.includes(name)).map((a) => a.ip),
  }))
  for (const c of checks)
    out.log(
      `check ${c.name}: ${c.kind} every ${c.intervalMs}ms, required by ${c.requiredBy.join(', ') || 'no address (it runs, and moves nothing)'}`,
    )
  const listen = config.metrics ? parseListen(config.metrics.listen) : undefined
  const metrics =
    listen?.ok && config.metrics
      ? `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}${config.metrics.path}`
      : null
  if (metrics && listen?.ok)
    out.log(
      `metrics: ${metrics}${isLoopbackHost(listen.host) ? '' : ' (reachable from other machines, without authentication: ipfo doctor says more)'}`,
    )
  return {
    file,
    ok: true,
    node: config.node,
    detectionMs: config.deadAfter,
    links: config.links.map((l) => l.name),
    peers: config.peers.map((p) => p.id),
    checks,
    metrics,
  }
}
