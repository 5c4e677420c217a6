import { isIPv4, isIPv6 } from 'node:net'
import { z } from 'zod'

/**
 * The Prometheus endpoint (issue 22): off when the section is absent. It is unauthenticated and
 * tells the cluster's topology, so it belongs on loopback or a management network.
 */

export const DEFAULT_METRICS_PORT = 9694

/** "host:port" or "[v6]:port" as written, split; or what is wrong with it and how to write it. */
export function parseListen(
  listen: string,
): { ok: true; host: string; port: number } | { ok: false; reason: string } {
  const example = `127.0.0.1:${DEFAULT_METRICS_PORT}`
  const bracketed = /^\[([^\]]*)\]:(\d+)$/.exec(listen)
  const plain = /^([^:[\]]*):(\d+)$/.exec(listen)
  const match = bracketed ?? plain
  if (!match) {
    if (isIPv4(listen))
      return { ok: false, reason: `"${listen}" has no port; write "${listen}:${DEFAULT_METRICS_PORT}"` }
    if (listen === 'localhost') return { ok: false, reason: localhostReason(example) }
    // "::1:9694" is itself an IPv6 address: read as one with its port, the brackets settle it.
    const v6 = /^(.*:.*):(\d+)$/.exec(listen)
    if (v6?.[1] && isIPv6(v6[1]))
      return {
        ok: false,
        reason: `"${listen}": an IPv6 address goes in brackets before its port: write "[${v6[1]}]:${v6[2]}"`,
      }
    if (isIPv6(listen))
      return { ok: false, reason: `"${listen}" has no port; write "[${listen}]:${DEFAULT_METRICS_PORT}"` }
    return {
      ok: false,
      reason: `"${listen}" is not host:port; write an address and a port, e.g. "${example}"`,
    }
  }
  const host = match[1] ?? ''
  const port = Number(match[2])
  if (host.toLowerCase() === 'localhost') return { ok: false, reason: localhostReason(`127.0.0.1:${port}`) }
  if (bracketed ? !isIPv6(host) : !isIPv4(host))
    return {
      ok: false,
      reason: bracketed
        ? `"${host}" in brackets is not an IPv6 address; write e.g. "[::1]:${port}"`
        : `"${host}" is not an IP address; write the address to listen on (no host names: the agent must start without DNS), e.g. "${example}"`,
    }
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return {
      ok: false,
      reason: `port ${match[2]} is not 1 to 65535; e.g. "${bracketed ? `[${host}]` : host}:${DEFAULT_METRICS_PORT}"`,
    }
  return { ok: true, host, port }
}

/** Node may resolve localhost to ::1 alone, where a Prometheus scraping 127.0.0.1 finds nothing. */
function localhostReason(example: string): string {
  return `"localhost" may be ::1 alone (Node resolves it as the system says), where a scrape of 127.0.0.1 finds nothing; write the address: "${example}" (or "[::1]:${example.split(':').pop()}")`
}

/** Whether only this machine can reach the host: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h
  return isIPv4(v4) && v4.startsWith('127.')
}

export const metricsSchema = z
  .strictObject({
    listen: z
      .string()
      .describe(
        `Where the endpoint listens: "address:port", "[IPv6]:port" for IPv6, e.g. "127.0.0.1:${DEFAULT_METRICS_PORT}" (Prometheus scrapes it). Anything but loopback is reachable by others: it is unauthenticated and tells the cluster's topology, so ipfo doctor warns.`,
      ),
    path: z.string().default('/metrics').describe('The HTTP path the metrics are served on.'),
    defaultMetrics: z
      .boolean()
      .default(true)
      .describe(
        "Also serve prom-client's process and Node.js metrics (process_*, nodejs_*: CPU, memory, file descriptors, event-loop delay, GC).",
      ),
  })
  .superRefine((metrics, ctx) => {
    const listen = parseListen(metrics.listen)
    if (!listen.ok) ctx.addIssue({ code: 'custom', path: ['listen'], message: listen.reason })
    if (!metrics.path.startsWith('/') || /[?#\s]/.test(metrics.path)) {
      const fixed = `/${metrics.path
        .replace(/[?#].*$/, '')
        .replace(/\s+/g, '')
        .replace(/^\/+/, '')}`
      ctx.addIssue({
        code: 'custom',
        path: ['path'],
        message: `"${metrics.path}" is not a URL path; write one that starts with "/", without "?", "#" or spaces: "${fixed === '/' ? '/metrics' : fixed}"`,
      })
    }
  })
  .optional()
  .describe(
    `A Prometheus endpoint: heartbeats, peers, held addresses, takeovers and their steps, hooks, checks, quorum, the agent process. Off when absent. A render starts right after a heartbeat is sent, and a bind failure never stops failover (it is retried).`,
  )

export type MetricsConfig = NonNullable<z.output<typeof metricsSchema>>
