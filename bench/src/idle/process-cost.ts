import { readFile } from 'node:fs/promises'
import { sampleGroup, statFields } from '../failover/cost.js'
import { GUARD_COMMAND_LINE } from '../failover/daemons/guard-command-line.js'

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ): 100 on every Linux we target. */
const USER_HZ = 100

/** One process of a daemon, at one moment. */
export interface ProcessSample {
  readonly pid: number
  /** What it is, from its command line: agent, guard, ip -batch, ip monitor, keepalived, node, ... */
  readonly role: string
  /** utime + stime, plus what its reaped children used. */
  readonly ticks: number
  readonly rssKb: number
  /** Proportional set size: shared pages split among the processes that map them. */
  readonly pssKb: number
}

/** What a process is, from its command line (NUL-separated argv). */
export function roleOf(argv: readonly string[]): string {
  const joined = argv.join(' ')
  if (GUARD_COMMAND_LINE.test(joined)) return 'guard'
  if (joined.includes('bin/run.js') || joined.includes('bin/ipfo')) return 'agent'
  const exe = (argv[0] ?? '?').split('/').pop() ?? '?'
  if (exe === 'ip' && argv.includes('-batch')) return 'ip -batch'
  if (exe === 'ip' && argv.includes('monitor')) return 'ip monitor'
  if (exe === 'perl') return 'perl helper'
  return exe
}

async function sampleProcess(pid: number): Promise<ProcessSample | undefined> {
  try {
    const fields = statFields(await readFile(`/proc/${pid}/stat`, 'utf8'))
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean)
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0)
    return {
      pid,
      role: roleOf(argv),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
      rssKb: kb('Rss'),
      pssKb: kb('Pss'),
    }
  } catch {
    return undefined // ended between the listing and the read
  }
}

/** Every process of the given process groups, one sample each. */
export async function sampleProcesses(pgids: readonly number[]): Promise<ProcessSample[]> {
  const { pids } = await sampleGroup(pgids)
  const samples = await Promise.all(pids.map(sampleProcess))
  return samples.filter((s): s is ProcessSample => s !== undefined)
}

/** One process's cost over a window. */
export interface ProcessCost {
  readonly role: string
  readonly cpuPercent: number
  readonly rssMb: number
  readonly pssMb: number
}

const round2 = (n: number) => Math.round(n * 100) / 100
const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10

/**
 * CPU over the window (percent of one core) of each process alive at its end, from the two samples;
 * a process started within the window is counted from its start. Memory is read at the end.
 */
export function costBetween(
  before: readonly ProcessSample[],
  after: readonly ProcessSample[],
  seconds: number,
): ProcessCost[] {
  return after.map((a) => {
    const b = before.find((p) => p.pid === a.pid)
    const ticks = a.ticks - (b?.ticks ?? 0)
    return {
      role: a.role,
      cpuPercent: round2((ticks / USER_HZ / seconds) * 100),
      rssMb: mb(a.rssKb),
      pssMb: mb(a.pssKb),
    }
  })
}
