import type { NodeName } from './stage.js'
import { wallNow } from './wait.js'
import type { StageContext } from './with-stage.js'

type Node = Pick<StageContext, 'stage' | 'daemons'>

/**
 * The node dies: its cables are pulled at the switch, then everything of its daemon is killed with
 * SIGKILL (see Daemons.killMachine). Returns when the cables were out (wall clock, ms).
 */
export async function killNode({ stage, daemons }: Node, node: NodeName): Promise<number> {
  await stage.cut(node)
  const tCut = wallNow()
  await daemons.killMachine(node)
  return tCut
}

/** A dead node "reboots": the VIP is gone from it, its /run is clean, its cables are back, its daemon starts. */
export async function rebootNode({ stage, daemons }: Node, node: NodeName): Promise<void> {
  await stage.dropVip(node)
  await daemons.forgetRuntime(node)
  await stage.reconnect(node)
  daemons.start(node)
}
