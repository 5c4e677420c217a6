import { GUARD_COMMAND } from '../guard/command.js'
import { compiledWhole } from './compiled-whole.js'
import { runUntilSignal } from './signals.js'

export interface AgentFlags {
  readonly config: string
  /** Change no interface: keep held addresses in this JSON file (demos, dry runs). */
  readonly simulateAddresses?: string | undefined
}

/**
 * `ipfo agent`'s body, the same whether oclif runs it (commands/agent.ts) or bin/run.js's fast path
 * (fast/agent.ts): the agent, reloaded on SIGHUP, until SIGTERM or SIGINT. Resolves once it stopped.
 */
export async function runAgent(
  flags: AgentFlags,
  warn: (message: string) => void,
): Promise<{ node: string; stopped: string }> {
  // The libraries first, compiled as V8 does by default; then ipfo's own code compiled whole as it
  // loads, the modules its start imports included, so that a takeover does not compile its path.
  // IPFO_COMPILE=lazy leaves V8's default: the baseline of `npm run bench:takeover-path`.
  const compiled = process.env.IPFO_COMPILE === 'lazy' ? <T>(load: () => Promise<T>) => load() : compiledWhole
  const { loadAgentLibraries } = await import('@ipfo/core/agent-libraries')
  await loadAgentLibraries()
  const { loadConfigFile, simulatedAddressControl, startAgent } = await compiled(
    () => import('@ipfo/core/agent'),
  )
  const simulated = flags.simulateAddresses
  const { serviceNotifier } = await import('../service/notify.js')
  // Here, before the agent starts: under systemd this starts the notify helper process.
  const notifier = serviceNotifier(process.env, warn)
  type Loaded = Awaited<ReturnType<typeof loadConfigFile>>
  const start = async (loaded?: Loaded) => {
    // What this config adds (metrics: prom-client; quorum: etcd3, grpc) loads before the window too.
    if (loaded) await loadAgentLibraries(loaded.config)
    const agent = await compiled(() =>
      startAgent({
        configFile: flags.config,
        ...(loaded ? { loaded } : {}),
        platform: process.platform,
        uid: process.getuid?.(),
        // For `npm run bench:takeover-path`: each acquire's path inside the agent, a JSON line each.
        ...(process.env.IPFO_TRACE_TAKEOVERS ? { traceTakeovers: process.env.IPFO_TRACE_TAKEOVERS } : {}),
        // A guard removes real addresses: none beside an agent that only simulates them.
        ...(simulated ? { address: simulatedAddressControl(simulated) } : { guard: GUARD_COMMAND }),
      }),
    )
    const { config } = agent
    notifier.ready(
      `node ${config.node}: heartbeats every ${config.interval}ms, detection ${config.deadAfter}ms`,
    )
    return agent
  }
  const { agent, signal } = await runUntilSignal(
    start,
    () => loadConfigFile(flags.config),
    warn,
    () => notifier.stopping(),
  )
  return { node: agent.config.node, stopped: signal }
}
