import type { AgentStatus, CommandRunner, IpfoEvent } from '@ipfo/core'
import { type CheckResult, fail, pass } from './check.js'

export interface DoctorDeps {
  readonly runner: CommandRunner
  /** Told what is being checked now, for a progress display. */
  readonly progress?: (what: string) => void
}

/**
 * Every check of `ipfo doctor`, in the order a person fixes things: the config and key, the tools,
 * the interfaces, the port, the firewall, then (with a running agent) the peers.
 */
export async function runDoctor(configFile: string, deps: DoctorDeps): Promise<CheckResult[]> {
  const progress = deps.progress ?? (() => {})
  const { loadConfigFile } = await import('@ipfo/core/agent')
  const checks: CheckResult[] = []
  progress('reading the config')
  const loaded = await loadConfigFile(configFile).then(
    (l) => l,
    (error: Error & { hint?: string }) => {
      checks.push(fail('config and key', error.message, error.hint ?? 'see ipfo config check'))
      return undefined
    },
  )
  if (!loaded) return checks
  const { config } = loaded
  checks.push(pass('config and key', `${configFile} is valid; the key is private`))

  progress('asking the agent')
  const { controlRequest } = await import('@ipfo/core/control-client')
  const ask = <T>(method: 'status' | 'events') =>
    controlRequest<T>(config.paths.socket, { method }, { timeoutMs: 2_000 }).catch(() => undefined)
  const status = await ask<AgentStatus>('status')
  const events = status ? ((await ask<IpfoEvent[]>('events')) ?? []) : []

  const { checkInterfaces, checkPorts, checkTools } = await import('./local-checks.js')
  progress('looking for ip, socat, arping and na6')
  checks.push(...(await checkTools(config, deps.runner)))
  progress('checking the interfaces')
  checks.push(...(await checkInterfaces(config, deps.runner)))
  progress('checking the heartbeat port')
  checks.push(...(await checkPorts(config, status !== undefined)))
  if (config.metrics) {
    progress('checking the metrics endpoint')
    const { checkMetrics } = await import('./metrics-checks.js')
    checks.push(...(await checkMetrics(config, status !== undefined)))
  }
  progress('reading the firewall rules')
  const { checkFirewall } = await import('./firewall-checks.js')
  checks.push(...(await checkFirewall(config, deps.runner)))
  progress('checking the peers')
  const { keyId } = await import('@ipfo/core')
  const { checkPeers } = await import('./peer-checks.js')
  const keyIds = [loaded.key, ...loaded.acceptedKeys].map((k) => keyId(k))
  checks.push(...checkPeers(config, status, { events, keyIds, now: Date.now() }))
  if (config.coordination) {
    progress('asking the quorum store for a lease')
    const { checkQuorum } = await import('./quorum-checks.js')
    checks.push(...(await checkQuorum(config, status)))
  }
  return checks
}
