import { cidr } from '../../src/model/ip.js'
import type { Arbiter } from '../../src/model/ports.js'
import type { AgentContext } from './agent-context.js'
import type { InterfaceTable } from './interface-table.js'
import type { Network } from './network.js'

/**
 * `arbitration.probe` on the simulated public network: an address "still answers" when another
 * node has it on an eth0 with carrier and the public network carries the probe both ways. A fault
 * can make it answer free or refuse whatever the network says (a broken probe, no witness).
 */
export function arbiterPort(
  ctx: AgentContext,
  world: {
    readonly table: InterfaceTable
    readonly network: Network
    readonly latencyMs: number
    forced(): 'free' | 'refuse' | undefined
  },
): Arbiter {
  return {
    refusal: (addresses) =>
      ctx.after(world.latencyMs, () => {
        const forced = world.forced()
        if (forced === 'refuse') return 'the witness did not answer (simulated)'
        if (forced === 'free') return undefined
        for (const a of addresses) {
          const answering = world.table
            .holders(cidr(a))
            .find(
              (n) =>
                n !== ctx.node &&
                !world.network.blocked(ctx.node, n, 'public') &&
                !world.network.blocked(n, ctx.node, 'public'),
            )
          if (answering) return `${cidr(a)} still answers (from ${answering})`
        }
        return undefined
      }),
  }
}
