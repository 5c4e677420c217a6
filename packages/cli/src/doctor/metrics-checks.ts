import { createServer } from 'node:net'
import { type Config, isLoopbackHost, parseListen } from '@ipfo/core'
import { type CheckResult, fail, pass, warn } from './check.js'

/**
 * The Prometheus endpoint (config `metrics`): who can reach it (it is unauthenticated and tells the
 * cluster's topology), and whether it answers (a running agent) or its port is free (none running).
 */
export async function checkMetrics(config: Config, agentRunning: boolean): Promise<CheckResult[]> {
  const metrics = config.metrics
  if (!metrics) return []
  const listen = parseListen(metrics.listen)
  if (!listen.ok) return [fail('metrics endpoint', listen.reason, 'fix metrics.listen')]
  const checks: CheckResult[] = [
    isLoopbackHost(listen.host)
      ? pass('metrics exposure', `${metrics.listen}: only this machine can scrape it`)
      : warn(
          'metrics exposure',
          `${metrics.listen} can be reached from other machines: the endpoint has no authentication and tells the cluster's peers, links and addresses`,
          'listen on 127.0.0.1 (with Prometheus on this machine, or scraping through a tunnel), or let only the Prometheus server reach the port (firewall)',
        ),
  ]
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  const url = `http://${host}:${listen.port}${metrics.path}`
  if (agentRunning) {
    const answer = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => (r.ok ? undefined : `HTTP ${r.status}`),
      (error: Error) => error.message,
    )
    checks.push(
      answer
        ? fail(
            'metrics endpoint',
            `${url} does not answer: ${answer}`,
            'see ipfo events for errors (a metrics.listen the agent cannot bind is retried every 5 s and reported there); after fixing the config, reload (systemctl reload ipfo / SIGHUP)',
          )
        : pass('metrics endpoint', `${url} answers`),
    )
  } else {
    const error = await tryListen(listen.host, listen.port)
    // The agent's own words for the code (EADDRINUSE, EADDRNOTAVAIL, EACCES), so both say the same.
    const known = error ? (await import('@ipfo/core/agent')).listenHint(error, listen.port) : undefined
    checks.push(
      error
        ? fail(
            'metrics endpoint',
            `TCP ${metrics.listen} cannot be bound: ${known ? `${known.problem} (${error})` : error}`,
            `${known?.hint ?? 'change metrics.listen'}; the agent starts without the endpoint and retries every 5 s`,
          )
        : pass('metrics endpoint', `TCP ${metrics.listen} is free`),
    )
  }
  return checks
}

function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}
