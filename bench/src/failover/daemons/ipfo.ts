import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT_NODE_FLAGS, IPFO_BIN } from '@ipfo/cli/demo'
import { etcdEndpoints } from '../etcd-members.js'
import { SERVICE_URL } from '../probe/client-probe.js'
import { METRICS_PORT, type Setting } from '../settings.js'
import type { NodeName, Stage } from '../stage.js'
import { type Daemons, daemonSet } from './daemon-set.js'
import { GUARD_COMMAND_LINE } from './guard-command-line.js'

// The agent runs as `node <AGENT_NODE_FLAGS> <IPFO_BIN>`, with the Node flags `ipfo service install`
// writes into the systemd unit and the launchd plist: the benchmark measures the agent as installed.

/** More flags for a look inside a run, e.g. IPFO_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p". */
function extraFlags(): string[] {
  return (process.env.IPFO_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)
}

/** ipfo's check of the node's service (issue 19's example): an http GET every 100 ms. */
export const IPFO_SERVICE_CHECK = {
  kind: 'http',
  url: SERVICE_URL,
  interval: '100ms',
  timeout: '80ms',
  fall: 2,
  rise: 2,
} as const

/** The checks by name: one is "web"; more are "web1", "web2", ... (the same URL each). */
export function ipfoChecks(count: number): Record<string, typeof IPFO_SERVICE_CHECK> {
  if (count === 1) return { web: IPFO_SERVICE_CHECK }
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`web${i + 1}`, IPFO_SERVICE_CHECK]))
}

/** What the config needs of the stage (a pure function of it, for the config's test). */
type StageAddresses = Pick<Stage, 'nodes' | 'vip' | 'prefixLength' | 'publicIp' | 'privateIp' | 'etcd'>

/** The etcd key prefix of the benchmark's agents. */
export const BENCH_ETCD_PREFIX = '/ipfo-bench/'

/**
 * One node's config: heartbeats to every other node on the private and the public link, a owns the
 * VIP, b takes it over. With three nodes (issue 20) every node lists both others as peers (full
 * mesh), c takes the VIP over too, and the order is given by `takers: [b, c]`: under the peer entry
 * for a on b and c, and at the top level on a. With `checks` > 0, that many http checks of the
 * node's service, all required by the VIP on every node (in `owns` and in the peer's `takeover`).
 * A quorum setting adds a `coordination` section: etcd at the stage's members, the setting's
 * leaseTtl and margin, onQuorumLoss at its default (release). A scraped setting adds `metrics`,
 * listening on the node's public address (the client scrapes it).
 * Everything else is at ipfo's defaults (3 gratuitous ARPs 100 ms apart, failback "auto").
 */
export function ipfoConfig(
  stage: StageAddresses,
  setting: Extract<Setting, { system: 'ipfo' }>,
  node: NodeName,
  files: { readonly key: string; readonly dir: string },
  checks: number,
): Record<string, unknown> {
  const [owner, ...takers] = stage.nodes
  const peers = stage.nodes.filter((n) => n !== node)
  const named = ipfoChecks(checks)
  const vip = {
    interface: 'pub0',
    address: `${stage.vip}/${stage.prefixLength}`,
    ...(checks > 0 ? { requires: Object.keys(named) } : {}),
  }
  // A pair needs no order: its one taker is the default.
  const order = takers.length > 1 ? { takers } : {}
  return {
    node,
    key: files.key,
    paths: { socket: join(files.dir, `${node}.sock`), stateDir: join(files.dir, `${node}-state`) },
    interval: setting.interval,
    deadAfter: setting.deadAfter,
    links: [
      { name: 'private', targets: peers.map((peer) => stage.privateIp(peer)) },
      { name: 'public', targets: peers.map((peer) => stage.publicIp(peer)) },
    ],
    ...(checks > 0 ? { checks: named } : {}),
    ...(setting.realtimePriority ? { scheduling: { realtimePriority: setting.realtimePriority } } : {}),
    ...(setting.addressChanges ? { addressChanges: setting.addressChanges } : {}),
    ...(setting.quorum
      ? {
          coordination: {
            kind: 'etcd',
            endpoints: etcdEndpoints(stage),
            prefix: BENCH_ETCD_PREFIX,
            leaseTtl: setting.quorum.leaseTtl,
            margin: setting.quorum.margin,
          },
        }
      : {}),
    ...(setting.metrics
      ? {
          metrics: {
            listen: `${stage.publicIp(node)}:${METRICS_PORT}`,
            defaultMetrics: setting.metrics.defaultMetrics,
          },
        }
      : {}),
    owns: node === owner ? [vip] : [],
    ...(node === owner ? order : {}),
    peers: peers.map((id) => (id === owner ? { id, takeover: [vip], ...order } : { id, takeover: [] })),
  }
}

/**
 * A real `ipfo agent` process on each node (see ipfoConfig). The setting's checks, or with
 * `serviceCheck` at least one (the service-death fault).
 */
export async function ipfoDaemons(
  stage: Stage,
  setting: Extract<Setting, { system: 'ipfo' }>,
  dir: string,
  serviceCheck: boolean,
): Promise<Daemons> {
  const { generateKey, writeKeyFile } = await import('@ipfo/core/agent')
  const key = join(dir, 'heartbeat.key')
  await writeKeyFile(key, generateKey(), { force: true })
  const checks = Math.max(setting.checks ?? 0, serviceCheck ? 1 : 0)
  const config = (node: NodeName) => join(dir, `ipfo-${node}.json`)
  for (const node of stage.nodes) {
    await writeFile(config(node), JSON.stringify(ipfoConfig(stage, setting, node, { key, dir }, checks)))
  }
  return daemonSet(
    stage,
    'ipfo',
    (node) => [
      process.execPath,
      ...AGENT_NODE_FLAGS,
      ...extraFlags(),
      IPFO_BIN,
      'agent',
      '--config',
      config(node),
    ],
    /"kind":"acquiring"/,
    () => [],
    GUARD_COMMAND_LINE,
  )
}
