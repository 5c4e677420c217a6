import type { Fault } from './faults.js'

export type SystemName = 'ipfo' | 'keepalived' | 'ucarp'

interface SettingBase {
  /** Stable id used in flags, JSON and the plot, e.g. "keepalived-10ms". */
  readonly id: string
  readonly label: string
  /** The system's fastest setting: the one run under CPU stress and in the smoke run. */
  readonly fastest: boolean
  /** Measured in the idle (and stress) window only, never through the faults. */
  readonly steadyOnly?: boolean
  /** Gets the CPU-stress window as well, though not the system's fastest. */
  readonly stressed?: boolean
  /** Run only when named in --settings (a variant to compare, not part of the standard run). */
  readonly optIn?: boolean
  /**
   * The daemon under SCHED_FIFO at this priority: ipfo's `scheduling.realtimePriority`,
   * keepalived's `vrrp_rt_priority`. On one machine shared by every node, it stands for what
   * separate machines give each daemon: a core when it needs one.
   */
  readonly realtimePriority?: number
}

/**
 * The raft timings of the etcd members of the quorum settings: the CLI's quorum tests' (etcd's own
 * defaults are 100/1000 too). etcd grants no lease under 1.5 election timeouts, rounded up to whole
 * seconds: 2 s here, the issue's TTL. A longer election timeout would raise that floor past 2 s.
 */
export const ETCD_RAFT = { heartbeatMs: 100, electionMs: 1_000 } as const

/** The `coordination` section's timings of an etcd setting. */
export interface QuorumSetting {
  /** The agents' `leaseTtl`. */
  readonly leaseTtl: string
  /** The agents' `margin`: a holder that cannot renew drops the VIP this long before its lease could expire. */
  readonly margin: string
}

/** The port of the scraped settings' metrics endpoint (ipfo's default). */
export const METRICS_PORT = 9694

/** The `metrics` section of a scraped setting, and how often the client scrapes each node. */
export interface MetricsSetting {
  readonly defaultMetrics: boolean
  readonly scrapeEveryMs: number
}

export type Setting =
  | (SettingBase & {
      readonly system: 'ipfo'
      readonly interval: string
      readonly deadAfter: string
      /**
       * Health checks the pair always runs (http at 100 ms against the node's service, all required
       * by the VIP), for their idle cost; a service-death run without them gets one.
       */
      readonly checks?: number
      /**
       * Quorum on etcd (issue 21): the agents keep a lease of `leaseTtl` on a three-member etcd
       * started for each run in namespaces of its own on the private network, and hold the VIP only
       * while they hold its key.
       */
      readonly quorum?: QuorumSetting
      /**
       * The Prometheus endpoint (issue 22): `metrics.listen` on the node's public address, scraped
       * from the client's namespace every `scrapeEveryMs` (bench/src/failover/scrape/).
       */
      readonly metrics?: MetricsSetting
      /**
       * The agents' `addressChanges` (issue 23); unset: the default, auto (rtnetlink in the agent's
       * process when the optional package loads, as here).
       */
      readonly addressChanges?: 'ip-batch'
    })
  | (SettingBase & {
      readonly system: 'keepalived'
      /** advert_int in seconds (VRRPv3: 0.01 steps). */
      readonly advertInt: number
      /** The backup's priority; the master has 150. */
      readonly backupPriority: number
    })
  | (SettingBase & {
      readonly system: 'ucarp'
      readonly advbase: number
      /** The backup's advskew; the master has 0 and --preempt. */
      readonly backupSkew: number
    })

/**
 * Every system at its defaults and at its fastest setting. keepalived's backup keeps the default
 * priority (100), so its takeover is 3 adverts plus a skew of (256-100)/256 of one advert; ucarp's
 * backup has advskew 1, the smallest skew that still makes the master the preferred one.
 */
export const SETTINGS: readonly Setting[] = [
  {
    id: 'ipfo-default',
    system: 'ipfo',
    label: 'ipfo 1s/3s (default)',
    interval: '1s',
    deadAfter: '3s',
    fastest: false,
  },
  {
    id: 'ipfo-20ms',
    system: 'ipfo',
    label: 'ipfo 20ms/60ms',
    interval: '20ms',
    deadAfter: '60ms',
    fastest: false,
  },
  {
    id: 'ipfo-10ms',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms',
    interval: '10ms',
    deadAfter: '30ms',
    fastest: true,
  },
  {
    id: 'keepalived-default',
    system: 'keepalived',
    label: 'keepalived advert_int 1 (default)',
    advertInt: 1,
    backupPriority: 100,
    fastest: false,
  },
  {
    id: 'keepalived-10ms',
    system: 'keepalived',
    label: 'keepalived advert_int 0.01',
    advertInt: 0.01,
    backupPriority: 100,
    fastest: true,
  },
  // The 10 ms settings with the daemons at real-time priority 1 (both systems' option for it).
  {
    id: 'ipfo-10ms-rt',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, SCHED_FIFO 1',
    interval: '10ms',
    deadAfter: '30ms',
    realtimePriority: 1,
    fastest: false,
    optIn: true,
  },
  // The 10 ms pair with its address changes through one long-lived `ip -batch` process, as before
  // rtnetlink (issue 23): the takeover path's steps side by side.
  {
    id: 'ipfo-10ms-ip',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, ip -batch',
    interval: '10ms',
    deadAfter: '30ms',
    addressChanges: 'ip-batch',
    fastest: false,
    optIn: true,
  },
  // The 5 ms profile (issue 23): 5 ms heartbeats, lost after 15 ms, the agents under SCHED_FIFO 1
  // (the config refuses an interval under 10 ms without scheduling.realtimePriority). Stressed at
  // every --stress-workers count: a heartbeat held up 15 ms by the load would be a false takeover.
  {
    id: 'ipfo-5ms-rt',
    system: 'ipfo',
    label: 'ipfo 5ms/15ms, SCHED_FIFO 1',
    interval: '5ms',
    deadAfter: '15ms',
    realtimePriority: 1,
    fastest: false,
    stressed: true,
  },
  {
    id: 'keepalived-10ms-rt',
    system: 'keepalived',
    label: 'keepalived advert_int 0.01, SCHED_FIFO 1',
    advertInt: 0.01,
    backupPriority: 100,
    realtimePriority: 1,
    fastest: false,
    optIn: true,
  },
  // Quorum on etcd (issue 21): the 10 ms pair with a lease of the 2 s (etcd's least at the
  // members' raft timings, ETCD_RAFT); the margin is the default for 2 s (a quarter, at least 500 ms).
  // Stressed too: a lease that lapses under load moves the VIP.
  {
    id: 'ipfo-etcd-10ms',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, quorum on etcd (TTL 2s)',
    interval: '10ms',
    deadAfter: '30ms',
    quorum: { leaseTtl: '2s', margin: '500ms' },
    fastest: false,
    stressed: true,
  },
  { id: 'ucarp-1s', system: 'ucarp', label: 'ucarp advbase 1', advbase: 1, backupSkew: 1, fastest: true },
  // What health checks cost (issue 19): ipfo's settings again with ten http checks at 100 ms; the
  // difference from the plain setting's idle CPU and RSS is theirs. The 10 ms pair is also stressed:
  // a check slowed past its timeout by the load would move the VIP (a false failover).
  {
    id: 'ipfo-checks10',
    system: 'ipfo',
    label: 'ipfo 1s/3s + 10 checks',
    interval: '1s',
    deadAfter: '3s',
    checks: 10,
    fastest: false,
    steadyOnly: true,
  },
  {
    id: 'ipfo-10ms-checks10',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms + 10 checks',
    interval: '10ms',
    deadAfter: '30ms',
    checks: 10,
    fastest: false,
    steadyOnly: true,
    stressed: true,
  },
  // What a scrape costs (issue 22): ipfo-10ms with the metrics endpoint on each node, scraped from
  // the client every 100 ms, with and without prom-client's default metrics. Steady state only, and
  // stressed: a render that delays a heartbeat past deadAfter would be a false takeover. Opt-in: the
  // metrics-scrape benchmark (`npm run bench:metrics-scrape`) runs them beside ipfo-10ms.
  {
    id: 'ipfo-10ms-scraped',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, /metrics scraped every 100 ms',
    interval: '10ms',
    deadAfter: '30ms',
    metrics: { defaultMetrics: true, scrapeEveryMs: 100 },
    fastest: false,
    steadyOnly: true,
    stressed: true,
    optIn: true,
  },
  {
    id: 'ipfo-10ms-scraped-nodefault',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, /metrics scraped every 100 ms, defaultMetrics: false',
    interval: '10ms',
    deadAfter: '30ms',
    metrics: { defaultMetrics: false, scrapeEveryMs: 100 },
    fastest: false,
    steadyOnly: true,
    stressed: true,
    optIn: true,
  },
  // The same at real-time priority, beside ipfo-10ms-rt: on a machine other work keeps busy, what
  // delays a SCHED_FIFO agent's heartbeat is its own loop's work (a render), not the CPU it waits for.
  {
    id: 'ipfo-10ms-rt-scraped',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, SCHED_FIFO 1, /metrics scraped every 100 ms',
    interval: '10ms',
    deadAfter: '30ms',
    realtimePriority: 1,
    metrics: { defaultMetrics: true, scrapeEveryMs: 100 },
    fastest: false,
    steadyOnly: true,
    stressed: true,
    optIn: true,
  },
  {
    id: 'ipfo-10ms-rt-scraped-nodefault',
    system: 'ipfo',
    label: 'ipfo 10ms/30ms, SCHED_FIFO 1, /metrics scraped every 100 ms, defaultMetrics: false',
    interval: '10ms',
    deadAfter: '30ms',
    realtimePriority: 1,
    metrics: { defaultMetrics: false, scrapeEveryMs: 100 },
    fastest: false,
    steadyOnly: true,
    stressed: true,
    optIn: true,
  },
]

/**
 * Whether the setting is run through the fault: ucarp has no health checks, so no service death;
 * and it sends and hears its adverts as Ethernet frames through libpcap, below the IP filtering that
 * makes the partition, so no partition either.
 */
export function runsFault(s: Setting, fault: Fault): boolean {
  if (s.steadyOnly) return false
  return !((fault === 'service-death' || fault === 'partition') && s.system === 'ucarp')
}

/**
 * Whether the setting runs on three nodes (issue 20): ipfo's and keepalived's fault settings; ucarp
 * runs as a pair only, and so does quorum on etcd (its members are the pair stage's).
 */
export function runsThree(s: Setting): boolean {
  return s.system !== 'ucarp' && !s.steadyOnly && !(s.system === 'ipfo' && s.quorum)
}

/** Whether the setting's agents need an etcd cluster (quorum, issue 21). */
export function needsEtcd(s: Setting): boolean {
  return s.system === 'ipfo' && s.quorum !== undefined
}

/** Whether the setting gets the CPU-stress window: each system's fastest, and those asked for. */
export function getsStress(s: Setting): boolean {
  return s.fastest || s.stressed === true
}

/** The setting's knobs as plain data, for the report. */
export function describeSetting(s: Setting, three = false): Record<string, string | number> {
  switch (s.system) {
    case 'ipfo':
      return {
        interval: s.interval,
        deadAfter: s.deadAfter,
        links: 'private + public',
        ...(three ? { takers: 'b, c (full mesh)' } : {}),
        ...(s.checks ? { checks: `${s.checks} http at 100ms, required by the VIP` } : {}),
        ...(s.realtimePriority ? { 'scheduling.realtimePriority': s.realtimePriority } : {}),
        ...(s.quorum
          ? {
              coordination: `etcd, leaseTtl ${s.quorum.leaseTtl}, margin ${s.quorum.margin}, onQuorumLoss release`,
              etcd: `3 members in namespaces on the private network, raft heartbeat ${ETCD_RAFT.heartbeatMs} ms, election ${ETCD_RAFT.electionMs} ms`,
            }
          : {}),
        ...(s.metrics
          ? {
              metrics: `listen <public address>:${METRICS_PORT}, defaultMetrics ${s.metrics.defaultMetrics}`,
              scraper: `the client GETs both nodes' /metrics every ${s.metrics.scrapeEveryMs} ms (keep-alive)`,
            }
          : {}),
      }
    case 'keepalived':
      return {
        vrrp_version: 3,
        advert_int: s.advertInt,
        priority: `150 (a) / ${s.backupPriority} (b)${three ? ' / 50 (c)' : ''}`,
        unicast_peer: 'public link',
        ...(s.realtimePriority ? { vrrp_rt_priority: s.realtimePriority } : {}),
      }
    case 'ucarp':
      return {
        advbase: s.advbase,
        advskew: `0 + --preempt (a) / ${s.backupSkew} (b)`,
        link: 'public (multicast)',
      }
  }
}
