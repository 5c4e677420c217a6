import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../base-command.js'
import type { DemoResult } from '../demo/demo-result.js'

export default class Demo extends IpfoCommand {
  static override summary = 'Watch a live two-node (or three-node) failover and failback.'
  static override description =
    `As root, builds network namespaces (two nodes on a bridged public network, a private heartbeat link, a client), starts two real agents, kills one, and shows the takeover with the client-measured outage, then the failback. Cleans up on exit, even on Ctrl-C.

With --nodes 3, three nodes a, b and c: a owns the address and its takers are b then c. a dies and b takes over; b dies too and c takes over; a comes back and gets its address back from c.

Not as root, it runs the same story on loopback with simulated addresses, and says so.`
  static override examples = [
    'sudo <%= config.bin %> demo',
    'sudo <%= config.bin %> demo --nodes 3',
    '<%= config.bin %> demo --loopback --json',
  ]
  static override flags = {
    loopback: Flags.boolean({ description: 'use loopback and simulated addresses even as root' }),
    nodes: Flags.option({
      description: 'how many nodes: 2 (a pair) or 3 (a, then its takers b and c)',
      options: ['2', '3'] as const,
      default: '2',
    })(),
  }

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo)
    const { runDemoWithCleanup } = await import('../demo/stage-setup.js')
    const { liveOutput, styleFor } = await import('../render/style.js')
    const { startProgress } = await import('../render/progress.js')
    const live = !this.jsonEnabled() && liveOutput(process.stdout, process.stderr, process.env)
    const progress = await startProgress(live, 'ipfo demo')
    try {
      const result = await runDemoWithCleanup({
        loopback: flags.loopback,
        nodes: flags.nodes === '3' ? 3 : 2,
        print: (line) => this.log(line),
        progress: progress.update,
        style: styleFor(process.stdout, process.env),
      })
      progress.stop('done')
      return result
    } catch (error) {
      progress.stop('failed')
      throw error
    }
  }
}
