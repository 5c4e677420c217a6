import { fileURLToPath } from 'node:url'
import { parseDuration } from '@ipfo/core'
import { freeUdpPort } from '@ipfo/testkit'
import { ProcessGroup } from '../failover/process-group.js'
import type { Setting } from '../failover/settings.js'
import type { NodeName } from '../failover/stage.js'
import { sleep, wallNow } from '../failover/wait.js'
import { withStage } from '../failover/with-stage.js'
import { costBetween, type ProcessCost, type ProcessSample, sampleProcesses } from './process-cost.js'

/** Node doing nothing, the floor any Node agent stands on, measured beside each setting. */
export const NODE_FLOOR_COMMAND = [process.execPath, '-e', 'setInterval(() => {}, 1000)'] as const

const HEARTBEAT_FLOOR = fileURLToPath(new URL('./heartbeat-floor.js', import.meta.url))

/**
 * A pair of bare Node heartbeat loops on loopback (heartbeat-floor.js), on ports the kernel picks,
 * beating every `intervalMs`.
 */
async function heartbeatFloor(intervalMs: number): Promise<ProcessGroup[]> {
  const ports = await Promise.all([0, 1, 2, 3].map(() => freeUdpPort()))
  const [a1, a2, b1, b2] = ports as [number, number, number, number]
  return [
    new ProcessGroup('heartbeat-floor-a', [
      process.execPath,
      HEARTBEAT_FLOOR,
      `${a1}`,
      `${a2}`,
      `${b1}`,
      `${b2}`,
      `${intervalMs}`,
    ]),
    new ProcessGroup('heartbeat-floor-b', [
      process.execPath,
      HEARTBEAT_FLOOR,
      `${b1}`,
      `${b2}`,
      `${a1}`,
      `${a2}`,
      `${intervalMs}`,
    ]),
  ]
}

export interface IdleWindow {
  readonly setting: string
  readonly seconds: number
  /** Each node's processes (a holds the VIP, b watches). */
  readonly nodes: Readonly<Record<string, readonly ProcessCost[]>>
  readonly floor: ProcessCost
  /**
   * One of the two bare Node heartbeat loops beside the window (heartbeat-floor.js): at the setting's
   * interval when it is under 10 ms, else at 10 ms.
   */
  readonly heartbeatFloor: ProcessCost
  /** The floor loops' interval (absent in windows before the 5 ms profile: 10). */
  readonly heartbeatFloorMs?: number
}

export interface IdleOptions {
  readonly seconds: number
  readonly startTimeoutMs: number
  /** How long the pair runs before the window opens (start-up's compilation is not idle). */
  readonly settleMs: number
}

/**
 * One window of idle: a pair at `setting` on a fresh stage, a holding the VIP, no probes and no
 * fault; beside it the Node floor. CPU over the window, memory at its end, per process.
 */
export function measureIdle(setting: Setting, opts: IdleOptions): Promise<IdleWindow> {
  return withStage(setting, opts.startTimeoutMs, async ({ stage, daemons }) => {
    const floor = new ProcessGroup('node-floor', [...NODE_FLOOR_COMMAND])
    const floorMs = floorInterval(setting)
    const beating = await heartbeatFloor(floorMs)
    try {
      await sleep(opts.settleMs)
      const groups = async (node: NodeName) => {
        const pgid = daemons.group(node)?.pid
        if (pgid === undefined) throw new Error(`${setting.id}: ${node}'s daemon is not running`)
        return [pgid, ...(await daemons.outliving(node))]
      }
      const watched: Record<string, number[]> = {}
      for (const node of stage.nodes) watched[node] = await groups(node)
      watched.floor = [floor.pid!]
      watched.heartbeatFloor = [beating[0]!.pid!]
      const sampleAll = async () => {
        const out: Record<string, ProcessSample[]> = {}
        for (const [name, pgids] of Object.entries(watched)) out[name] = await sampleProcesses(pgids)
        return out
      }
      const before = await sampleAll()
      const from = wallNow()
      await sleep(opts.seconds * 1000)
      const after = await sampleAll()
      const seconds = (wallNow() - from) / 1000
      const nodes: Record<string, ProcessCost[]> = {}
      for (const node of stage.nodes) nodes[node] = costBetween(before[node]!, after[node]!, seconds)
      const floorCost = costBetween(before.floor!, after.floor!, seconds)[0]
      const beatCost = costBetween(before.heartbeatFloor!, after.heartbeatFloor!, seconds)[0]
      if (!floorCost || !beatCost) throw new Error('a floor process ended during the window')
      // A clean stop (SIGTERM), so that a profiler given in IPFO_BENCH_NODE_FLAGS writes its file.
      await Promise.all(stage.nodes.map((node) => daemons.group(node)?.stop()))
      return {
        setting: setting.id,
        seconds,
        nodes,
        floor: { ...floorCost, role: 'node floor' },
        heartbeatFloor: { ...beatCost, role: 'heartbeat floor' },
        heartbeatFloorMs: floorMs,
      }
    } finally {
      await Promise.all([floor, ...beating].map((p) => p.kill()))
    }
  })
}

/** The heartbeat floor's interval beside a setting: the setting's own under 10 ms, else 10 ms. */
function floorInterval(setting: Setting): number {
  if (setting.system !== 'ipfo') return 10
  const interval = parseDuration(setting.interval)
  return interval.ok && interval.ms < 10 ? interval.ms : 10
}
