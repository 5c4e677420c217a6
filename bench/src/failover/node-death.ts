import type { NodeName } from './stage.js'
import { wallNow } from './wait.js'
import type { StageContext } from './with-stage.js'

type Node = Pick<StageContext, 'stage' | 'daemons'>

/**
 * The node dies: its cables are pulled at the switch, then everything of its daemon stops dead
 * (SIGSTOP, Daemons.freezeMachine) and stays so until the reboot kills it. What the daemon runs
 * outside its group is found before the cut: nothing the benchmark starts or reads competes for a
 * core in the moments the taker decides. Returns when the cables were out (wall clock, ms).
 */
export async function killNode(
  { stage, daemons }: Node,
  node: NodeName,
  /** What the daemon runs outside its group, if already found (run-once: before the fault's moment). */
  found?: readonly number[],
): Promise<number> {
  const outside = found ?? (await daemons.outliving(node))
  await stage.cut(node)
  const tCut = wallNow()
  daemons.freezeMachine(node, outside)
  return tCut
}

/**
 * A dead node "reboots": what was left of it is killed (SIGKILL: a frozen process too), the VIP is
 * gone from it, its /run is clean, its cables are back, its daemon starts.
 */
export async function rebootNode({ stage, daemons }: Node, node: NodeName): Promise<void> {
  await daemons.killMachine(node)
  await stage.dropVip(node)
  await daemons.forgetRuntime(node)
  await stage.reconnect(node)
  daemons.start(node)
}
