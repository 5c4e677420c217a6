import { AddressError } from '../../src/model/errors.js'
import { cidr, type InterfaceAddress } from '../../src/model/ip.js'
import type { AddressControl } from '../../src/model/ports.js'
import type { AgentContext } from './agent-context.js'
import type { InterfaceTable } from './interface-table.js'

export interface AddressWorld {
  readonly table: InterfaceTable
  readonly latencyMs: number
  /** The machine's boot count: an add or remove in flight when the machine resets never lands. */
  boot(): number
  /** An add fault is on: the add fails (and the engine's error about it is expected). */
  addFails(): boolean
  expectError(context: string): void
  trace(text: string): void
}

/**
 * `ip addr` on a simulated host. The change lands in the interface table when the command
 * completes (a kernel's doing: even while the agent is paused, even if it was killed meanwhile),
 * and the agent hears the answer after that.
 */
export function addressPort(ctx: AgentContext, world: AddressWorld): AddressControl {
  const change = (a: InterfaceAddress, op: 'add' | 'remove'): Promise<void> => {
    if (!ctx.live) return new Promise(() => undefined)
    const fails = op === 'add' && world.addFails()
    const boot = world.boot()
    const done = ctx.scheduler.now + world.latencyMs
    if (!fails) {
      ctx.scheduler.at(done, () => {
        if (world.boot() !== boot) return
        if (op === 'add') world.table.add(ctx.node, cidr(a))
        else world.table.remove(ctx.node, cidr(a))
      })
    } else world.expectError(`adding ${cidr(a)} on ${a.interface}`)
    return ctx.after(world.latencyMs, () => {
      if (fails)
        throw new AddressError(`cannot add ${cidr(a)}: RTNETLINK answers: Operation not permitted`, {
          command: ['ip', 'addr', 'add', cidr(a), 'dev', a.interface],
          exitCode: 2,
          stderr: 'RTNETLINK answers: Operation not permitted',
        })
    })
  }
  return {
    present: (candidates) =>
      ctx.after(world.latencyMs, () => candidates.filter((a) => world.table.has(ctx.node, cidr(a)))),
    add: (a) => change(a, 'add'),
    remove: (a) => change(a, 'remove'),
    announce: (a, opts) => {
      world.trace(`announce ${cidr(a)} x${opts.count}`)
      return ctx.after(Math.max(0, opts.count - 1) * opts.intervalMs, () => undefined)
    },
  }
}
