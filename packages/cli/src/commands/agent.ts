import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, IpfoCommand } from '../base-command.js'
import { runAgent } from '../runtime/run-agent.js'

/**
 * bin/run.js runs this body without oclif (src/fast/agent.ts) whenever the argv is one it parses
 * exactly as oclif does: a flag added here must be added there too (test/fast-agent.test.ts checks).
 */
export default class Agent extends IpfoCommand {
  static override summary = 'Run the failover agent in the foreground.'
  static override description =
    `Sends heartbeats on every configured link, watches the peers, takes over a peer's addresses when it falls silent on every link and gives them back when it returns. Logs every event as a JSON line on stdout.

SIGTERM and SIGINT stop it (releasing or keeping held addresses, as "onStop" says); SIGHUP reloads the config.

Its own code is compiled whole when it starts, so that a first takeover does not compile its path on the way (some 0.9 ms; about 4 MB of memory). Two environment variables, for measuring: IPFO_TRACE_TAKEOVERS=<file> appends a JSON line for each acquire (a takeover, a claim, a failback), the milliseconds inside the agent from the decision's turn to each step (decided, checklist, guard, add, frame); IPFO_COMPILE=lazy leaves V8's default compilation.`
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
    return runAgent({ config: flags.config, simulateAddresses: flags['simulate-addresses'] }, (m) =>
      this.warn(m),
    )
  }
}
