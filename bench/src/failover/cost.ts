import { readdir, readFile } from 'node:fs/promises'
import { sleep, wallNow } from './wait.js'

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux we target. */
const USER_HZ = 100

export interface GroupSample {
  /** utime + stime of every process in the group, plus what their reaped children used. */
  readonly ticks: number
  readonly rssKb: number
  readonly pids: readonly number[]
}

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** Sums CPU ticks and VmRSS over every process whose process group is one of `pgids`. */
export async function sampleGroup(pgids: readonly number[]): Promise<GroupSample> {
  let ticks = 0
  let rssKb = 0
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const fields = statFields(await readFile(`/proc/${entry}/stat`, 'utf8'))
      // After the name: state ppid pgrp ... utime(11) stime(12) cutime(13) cstime(14).
      if (!pgids.includes(Number(fields[2]))) continue
      const status = await readFile(`/proc/${entry}/status`, 'utf8')
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
      rssKb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
      pids.push(Number(entry))
    } catch {
      // The process ended between readdir and read.
    }
  }
  return { ticks, rssKb, pids }
}

export interface DaemonCost {
  /** Percent of one core, averaged over the window. */
  readonly cpuPercent: number
  /** Resident set summed over the daemon's processes at the end of the window (MB). */
  readonly rssMb: number
  readonly processes: number
}

/**
 * CPU and RSS of each daemon over `seconds` of idle (no fault, no probes): every process of its
 * process groups (its own, and those of helpers it runs outside it, such as ipfo's guard).
 */
export async function measureCost(
  groups: Readonly<Record<string, readonly number[]>>,
  seconds: number,
): Promise<Record<string, DaemonCost>> {
  const meter = await costMeter(groups)
  await sleep(seconds * 1000)
  return meter.stop()
}

/** Starts counting each group's CPU now; `stop` gives the CPU since then and the RSS at the end. */
export async function costMeter(
  groups: Readonly<Record<string, readonly number[]>>,
): Promise<{ stop(): Promise<Record<string, DaemonCost>> }> {
  const names = Object.keys(groups)
  const before = await Promise.all(names.map((n) => sampleGroup(groups[n]!)))
  const start = wallNow()
  return {
    async stop() {
      const after = await Promise.all(names.map((n) => sampleGroup(groups[n]!)))
      const elapsed = (wallNow() - start) / 1000
      const result: Record<string, DaemonCost> = {}
      names.forEach((name, i) => {
        const cpu = ((after[i]!.ticks - before[i]!.ticks) / USER_HZ / elapsed) * 100
        result[name] = {
          cpuPercent: Math.round(cpu * 100) / 100,
          rssMb: Math.round((after[i]!.rssKb / 1024) * 10) / 10,
          processes: after[i]!.pids.length,
        }
      })
      return result
    },
  }
}
