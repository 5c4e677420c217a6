import type { Fault } from '../faults.js'
import type { RunResult } from '../run-once.js'
import type { ThreeRunResult } from '../run-three.js'
import type { SystemName } from '../settings.js'
import type { TopologyName } from '../stage.js'
import type { Summary } from '../stats.js'
import type { SteadyStateResult } from '../steady-state.js'

/** The JSON the benchmark writes: everything the markdown table and the plot are drawn from. */
export interface Report {
  readonly kind: 'ipfo-failover-benchmark'
  readonly date: string
  readonly smoke: boolean
  readonly machine: Machine
  readonly versions: Readonly<Record<string, string>>
  readonly method: Method
  readonly settings: readonly ReportSetting[]
  readonly results: readonly FaultResult[]
  readonly steady: readonly SteadyEntry[]
  /** The three-node topology's results (--topology three: then results and steady are empty). */
  readonly three?: readonly ThreeResult[]
  readonly ratios: readonly Ratio[]
  readonly targets: readonly Target[]
}

/** What a topology's runs add to the report. */
export type TopologyResults = Pick<Report, 'results' | 'steady' | 'three' | 'ratios' | 'targets'>

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly kernel: string
  readonly os: string
  readonly node: string
  /** 1-minute load average when the benchmark started and ended: other work on the machine skews timings. */
  readonly loadAverage?: { readonly start: number; readonly end: number }
}

export interface Method {
  /** Nodes a and b (absent: the pair), or a, b and c. */
  readonly topology?: TopologyName
  readonly runs: number
  readonly faults: readonly Fault[]
  readonly probeEveryMs: number
  readonly splitHoldMs: number
  readonly returnTimeoutMs: number
  readonly faultJitterMs: number
  readonly costSeconds: number
  readonly stressSeconds: number
  /** One stress window per count of stress-ng workers (absent in reports before issue 23: the cores). */
  readonly stressWorkers?: readonly number[]
  readonly stressNiced: boolean
  /** Runs waited until other work used at most this % of the CPU (undefined: no waiting). */
  readonly quietPercent: number | undefined
}

export interface ReportSetting {
  readonly id: string
  readonly system: SystemName
  readonly label: string
  readonly fastest: boolean
  readonly params: Readonly<Record<string, string | number>>
}

export interface FaultResult {
  readonly setting: string
  readonly system: SystemName
  readonly fault: Fault
  readonly runs: readonly RunResult[]
  /** Failed attempts (a daemon that did not start, ...), each retried: the error of each. */
  readonly errors: readonly string[]
  /** Over runs where b answered. */
  readonly outageMs: Summary | undefined
  readonly tookOver: number
  readonly doubleAnswers: { readonly takeover: number; readonly return: number; readonly runsWithAny: number }
  /** Median ms from the cut to each takeover step. */
  readonly steps: Readonly<Record<'decided' | 'added' | 'announced' | 'learned' | 'answered', number | null>>
  readonly returnOutageMs: Summary | undefined
  readonly returnCensored: number
  readonly bothHeldMs: Summary | undefined
  /** Runs where a still had the VIP on its interface when the cables came back. */
  readonly aKeptVip: number
  /** Medians over the runs of the VIP's move between the interfaces, ms from the cut (RunResult.handover). */
  readonly handover: Readonly<Record<'droppedMs' | 'addedMs' | 'gapMs', number | null>>
  /** Quorum settings (issue 21): the lease's TTL, and the elections and lapses summed over the runs. */
  readonly quorum?: QuorumTotals
}

export interface QuorumTotals {
  readonly leaseTtlMs: number
  /** Raft elections during the runs (null: a run could not read the term). */
  readonly elections: number | null
  /** Leases that lapsed where no fault explains it (see RunResult.quorum). */
  readonly lapses: number
}

/** One failover of the three-node runs, over the runs where the node that should take over answered. */
export interface ThreeFailover {
  readonly outageMs: Summary | undefined
  readonly tookOver: number
  readonly steps: FaultResult['steps']
}

/** One setting's runs of the three-node topology (issue 20). */
export interface ThreeResult {
  readonly setting: string
  readonly system: SystemName
  readonly runs: readonly ThreeRunResult[]
  readonly errors: readonly string[]
  /** a dies, b takes over. */
  readonly first: ThreeFailover
  /** Then b dies while a is still dead, c takes over. */
  readonly second: ThreeFailover
  readonly doubleAnswers: FaultResult['doubleAnswers']
  /** After a and b reboot, until a holds the VIP alone. */
  readonly returnOutageMs: Summary | undefined
  readonly returnCensored: number
  /** This setting's median first and second outage over keepalived's at the same speed (ipfo only). */
  readonly ratio: {
    readonly against: string
    readonly first: number | null
    readonly second: number | null
  } | null
}

export interface SteadyEntry extends Partial<SteadyStateResult> {
  readonly setting: string
  /** Every attempt failed: why. */
  readonly error?: string
  /** Attempts that failed before one succeeded. */
  readonly failedAttempts?: readonly string[]
}

export interface Ratio {
  readonly name: string
  readonly numerator: string
  readonly denominator: string
  readonly value: number | null
}

export interface Target {
  readonly name: string
  readonly met: boolean | null
  readonly detail: string
}

export const FAULT_LABEL: Readonly<Record<Fault, string>> = {
  'node-death': 'node death (cables pulled, the node frozen, killed at its reboot)',
  'link-cut': 'both links cut, daemon running',
  'daemon-crash': 'daemon crash (kill -9 of the daemon alone; host, cables, service and VIP stay)',
  'service-death': "service death (kill -9 of a's service; daemon, host, cables and VIP stay)",
  partition: 'partitioned holder (a cut off from b and etcd by nftables; the client still reaches a)',
}
