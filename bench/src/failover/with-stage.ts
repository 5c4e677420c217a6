import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDaemons, type Daemons } from './daemons/create-daemons.js'
import { type EtcdMembers, startEtcdMembers } from './etcd-members.js'
import { type Monitors, startMonitors } from './monitor.js'
import { type Services, startServices } from './probe/client-probe.js'
import { needsEtcd, type Setting } from './settings.js'
import { createStage, type Stage, TOPOLOGY_NODES, type TopologyName } from './stage.js'
import { sleep, wallNow } from './wait.js'

export interface StageContext {
  readonly stage: Stage
  readonly daemons: Daemons
  readonly monitors: Monitors
  /** Each node's service and witness, started before the daemons (their health checks look at it). */
  readonly services: Services
  /** The etcd cluster the agents keep their quorum on (quorum settings only). */
  readonly etcd: EtcdMembers | undefined
  /** The run's folder: the daemons' configs, keys and (ipfo) control sockets, `<node>.sock`. */
  readonly dir: string
}

export interface StageOptions {
  /** The daemons check the node's service (the service-death fault). */
  readonly serviceCheck?: boolean
  /** Nodes a and b (default), or a, b and c. */
  readonly topology?: TopologyName
}

/** Stages that exist right now, so an interrupted benchmark can delete them. */
export const liveStages = new Set<Stage>()
/** etcd clusters that run right now, so an interrupted benchmark can stop them and remove their data. */
export const liveClusters = new Set<EtcdMembers>()

/**
 * How long a must hold the VIP alone before a run starts. Two ucarp nodes that start together can
 * both time out within milliseconds of each other and both become master (the less preferred one
 * yields at the next advertisement): b's VIP would show up within this window.
 */
function stableForMs(setting: Setting): number {
  return setting.system === 'ucarp' ? 500 : 300
}

/**
 * Builds a fresh stage, starts each node's service (and, for a quorum setting, the etcd cluster),
 * then the setting's daemons, waits until a holds the VIP alone and stays so, runs `body`, and
 * always tears everything down: daemons, services, watchers, etcd, namespaces, files.
 */
export async function withStage<T>(
  setting: Setting,
  startTimeoutMs: number,
  body: (ctx: StageContext) => Promise<T>,
  opts: StageOptions = {},
): Promise<T> {
  const quorum = needsEtcd(setting)
  const stage = await createStage(TOPOLOGY_NODES[opts.topology ?? 'pair'], { etcd: quorum })
  liveStages.add(stage)
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-bench-'))
  let monitors: Monitors | undefined
  let daemons: Daemons | undefined
  let services: Services | undefined
  let etcd: EtcdMembers | undefined
  try {
    monitors = await startMonitors(stage)
    services = await startServices(stage)
    if (quorum) {
      etcd = await startEtcdMembers(stage)
      liveClusters.add(etcd)
    }
    daemons = await createDaemons(stage, setting, dir, opts.serviceCheck)
    for (const node of stage.nodes) daemons.start(node)
    await waitForOwner(stage, daemons, stableForMs(setting), startTimeoutMs)
    return await body({ stage, daemons, monitors, services, etcd, dir })
  } finally {
    await daemons?.killAll()
    await services?.stop()
    await monitors?.stop()
    await etcd?.close()
    if (etcd) liveClusters.delete(etcd)
    await stage.destroy()
    liveStages.delete(stage)
    await rm(dir, { recursive: true, force: true })
  }
}

async function waitForOwner(stage: Stage, daemons: Daemons, stableMs: number, timeoutMs: number) {
  const end = wallNow() + timeoutMs
  let aloneSince: number | undefined
  for (;;) {
    // Every daemon must be up: a backup that died at start-up would turn every run into "no takeover".
    const dead = stage.nodes.filter((node) => daemons.group(node) === undefined)
    if (dead.length > 0)
      throw new Error(`the daemon on ${dead.join(' and ')} exited at start-up\n${logTail(daemons)}`)
    const alone = (await stage.holders()).join() === 'a'
    const now = wallNow()
    aloneSince = alone ? (aloneSince ?? now) : undefined
    if (aloneSince !== undefined && now - aloneSince >= stableMs) return
    if (now > end)
      throw new Error(`a did not come to hold the VIP alone within ${timeoutMs} ms\n${logTail(daemons)}`)
    await sleep(20)
  }
}

/** The last lines each daemon printed, for errors and for runs that went wrong. */
export function logTail(daemons: Daemons, lines = 20): string {
  return daemons.nodes
    .flatMap((node) =>
      daemons
        .log(node)
        .slice(-lines)
        .map((l) => `  ${node}: ${l.text}`),
    )
    .join('\n')
}
