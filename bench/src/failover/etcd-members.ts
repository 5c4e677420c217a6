import { startEtcdCluster } from '@ipfo/testkit'
import { ETCD_RAFT } from './settings.js'
import type { Stage } from './stage.js'

/**
 * The etcd cluster of a quorum run (issue 21): @ipfo/testkit's three real members, each in its
 * stage namespace on the private network (Stage.etcd), on fresh data folders, at ETCD_RAFT's timings.
 * Started before the agents and closed after them, once per run, so that no lease or key of one run
 * outlives it.
 */
export interface EtcdMembers {
  /** The members' client URLs, as the agents' `coordination.endpoints` name them. */
  readonly endpoints: readonly string[]
  /**
   * The highest raft term the members report (undefined: none answered). Each election adds one or
   * more: a term that grew during a run says the cluster had no leader for a while, and renewals
   * went unanswered meanwhile.
   */
  term(): Promise<number | undefined>
  /** Each member's last log lines, for a run that went wrong. */
  log(): string
  /** Kills every member and removes their data. Safe to call twice. */
  close(): Promise<void>
}

/** The agents' endpoints for a stage's members: etcd's client port on each member's address. */
export function etcdEndpoints(stage: Pick<Stage, 'etcd'>): string[] {
  return stage.etcd.map((member) => `http://${member.ip}:2379`)
}

/** Starts the stage's members and waits until every one is healthy. */
export async function startEtcdMembers(stage: Stage): Promise<EtcdMembers> {
  if (stage.etcd.length === 0)
    throw new Error('this stage has no etcd members: createStage(..., { etcd: true })')
  const cluster = await startEtcdCluster({
    placement: stage.etcd.map((member) => ({ ns: member.ns, ip: member.ip })),
    heartbeatMs: ETCD_RAFT.heartbeatMs,
    electionMs: ETCD_RAFT.electionMs,
  })
  return {
    endpoints: cluster.endpoints,
    async term() {
      const out = await cluster
        .etcdctl(['--command-timeout=2s', '-w', 'json', 'endpoint', 'status'])
        .catch(() => '')
      const terms = [...out.matchAll(/"raft_term":(\d+)/g)].map((m) => Number(m[1]))
      return terms.length > 0 ? Math.max(...terms) : undefined
    },
    log: () =>
      stage.etcd
        .map((member, i) =>
          cluster
            .log(i)
            .split('\n')
            .slice(-5)
            .map((line) => `  ${member.name}: ${line}`)
            .join('\n'),
        )
        .join('\n'),
    close: () => cluster.close(),
  }
}
