import { netnsPids } from './daemons/daemon-set.js'
import type { NodeName } from './stage.js'
import { wallNow } from './wait.js'
import type { StageContext } from './with-stage.js'

type Node = Pick<StageContext, 'stage' | 'daemons'>

/** A node about to die: every process in its namespace, listed ahead (listing starts an `ip`, which takes ms). */
export interface Doomed {
  readonly node: NodeName
  readonly pids: readonly number[]
}

/** Lists the node's processes; call it before the fault's moment. */
export async function doom({ stage }: Node, node: NodeName): Promise<Doomed> {
  return { node, pids: (await netnsPids(stage.ns(node))).map(Number) }
}

const signal = (pids: readonly number[], sig: NodeJS.Signals) => {
  for (const pid of pids) {
    try {
      process.kill(pid, sig)
    } catch {
      // Gone already.
    }
  }
}

/**
 * The node dies at once, as a machine losing power does: every process on it stops where it is
 * (SIGSTOP, so nothing it runs reacts to what follows: no daemon notices its cables going and sets
 * about releasing), then its cables are pulled at the switch. Returns when the cables were out (wall
 * clock, ms), and `reap`, to call once the takeover was seen: it kills everything of the daemon
 * (SIGKILL, see Daemons.killMachine) and lets the node's other processes (its service, which a
 * reboot finds running) go on. Reaping later keeps the kernel's teardown of the dead daemon's memory
 * off the survivors' CPU while they take over: a dead machine's memory is not freed by its peers.
 */
export async function killNode(
  { stage, daemons }: Node,
  doomed: Doomed,
): Promise<{ tCut: number; reap: () => Promise<void> }> {
  signal(doomed.pids, 'SIGSTOP')
  await stage.cut(doomed.node)
  const tCut = wallNow()
  return {
    tCut,
    reap: async () => {
      await daemons.killMachine(doomed.node)
      signal(doomed.pids, 'SIGCONT')
    },
  }
}

/** A dead node "reboots": the VIP is gone from it, its /run is clean, its cables are back, its daemon starts. */
export async function rebootNode({ stage, daemons }: Node, node: NodeName): Promise<void> {
  await stage.dropVip(node)
  await daemons.forgetRuntime(node)
  await stage.reconnect(node)
  daemons.start(node)
}
