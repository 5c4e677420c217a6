import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, IpfoCommand } from '../base-command.js'
import { GUARD_COMMAND } from '../guard/command.js'
import { runUntilSignal } from '../runtime/signals.js'

export default class Agent extends IpfoCommand {
  static override summary = 'Run the failover agent in the foreground.'
  static override description =
    `Sends heartbeats on every configured link, watches the peers, takes over a peer's addresses when it falls silent on every link and gives them back when it returns. Logs every event as a JSON line on stdout.

SIGTERM and SIGINT stop it (releasing or keeping held addresses, as "onStop" says); SIGHUP reloads the config.`
  static override examples = ['<%= config.bin %> agent --config /etc/ipfo/ipfo.yaml']
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file', default: DEFAULT_CONFIG }),
    'simulate-addresses': Flags.string({
      description: 'change no interface: keep held addresses in this JSON file (demos, dry runs)',
      hidden: true,
    }),
  }

  async run(): Promise<{ node: string; stopped: string }> {
    const { flags } = await this.parse(Agent)
    const { loadConfigFile, simulatedAddressControl, startAgent } = await import('@ipfo/core/agent')
    const simulated = flags['simulate-addresses']
    const { serviceNotifier } = await import('../service/notify.js')
    // Here, before the agent starts: under systemd this starts the notify helper process.
    const notifier = serviceNotifier(process.env, (m) => this.warn(m))
    type Loaded = Awaited<ReturnType<typeof loadConfigFile>>
    const start = async (loaded?: Loaded) => {
      const agent = await startAgent({
        configFile: flags.config,
        ...(loaded ? { loaded } : {}),
        platform: process.platform,
        uid: process.getuid?.(),
        // A guard removes real addresses: none beside an agent that only simulates them.
        ...(simulated ? { address: simulatedAddressControl(simulated) } : { guard: GUARD_COMMAND }),
      })
      const { config } = agent
      notifier.ready(
        `node ${config.node}: heartbeats every ${config.interval}ms, detection ${config.deadAfter}ms`,
      )
      return agent
    }
    const { agent, signal } = await runUntilSignal(
      start,
      () => loadConfigFile(flags.config),
      (m) => this.warn(m),
      () => notifier.stopping(),
    )
    return { node: agent.config.node, stopped: signal }
  }
}
