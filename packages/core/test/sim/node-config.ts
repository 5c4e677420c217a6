import { type Config, configSchema } from '../../src/config/schema.js'
import type { NodeSetup, Setup } from './schedule.js'

/** The config file each simulated node's agent would have, through the real schema. */
export function nodeConfig(setup: Setup, node: NodeSetup): Config {
  const t = setup.timers
  const others = setup.nodes.filter((n) => n.id !== node.id)
  const c = setup.checks
  // Every address requires the check, on owns and takeover entries alike: fitness is the service's.
  const eth0 = (address: string) => ({ interface: 'eth0', address, ...(c ? { requires: ['web'] } : {}) })
  const config = configSchema.parse({
    node: node.id,
    key: '/dev/null',
    interval: `${t.intervalMs}ms`,
    deadAfter: `${t.deadAfterMs}ms`,
    links: setup.links.map((name) => ({ name, targets: [name === 'public' ? '10.0.0.255' : '10.1.0.255'] })),
    owns: node.owns.map(eth0),
    // With orders (three nodes or more): each owner gives its own, each taker the same under the
    // owner's peer entry; a node outside an order says nothing of it.
    ...(node.takers && node.owns.length > 0 ? { takers: node.takers } : {}),
    peers: others.map((p) => ({
      id: p.id,
      takeover: node.watches.includes(p.id) ? p.owns.map(eth0) : [],
      ...(p.takers && node.watches.includes(p.id) ? { takers: p.takers } : {}),
    })),
    failback: {
      policy: t.policy,
      stableFor: `${t.stableForMs}ms`,
      ...(t.claimTimeoutMs === undefined || t.bypassSchema ? {} : { claimTimeout: `${t.claimTimeoutMs}ms` }),
    },
    announce: { count: t.announceCount, interval: `${t.announceIntervalMs}ms` },
    arbitration: { probe: t.arbitration, timeout: `${t.arbitrationTimeoutMs}ms` },
    onCarrierLoss: t.onCarrierLoss,
    carrierSettle: `${t.carrierSettleMs}ms`,
    onStop: t.onStop,
    ...(c
      ? {
          checks: {
            web: {
              kind: 'tcp',
              port: 80,
              interval: `${c.intervalMs}ms`,
              timeout: `${c.timeoutMs}ms`,
              fall: c.fall,
              rise: c.rise,
              initial: c.initial,
            },
          },
          onAllUnfit: c.onAllUnfit,
        }
      : {}),
  })
  if (t.bypassSchema && t.claimTimeoutMs !== undefined)
    return { ...config, failback: { ...config.failback, claimTimeout: t.claimTimeoutMs } }
  return config
}

/** Every address in the cluster, with its owner. */
export function addressOwners(setup: Setup): { address: string; owner: string }[] {
  return setup.nodes.flatMap((n) => n.owns.map((address) => ({ address, owner: n.id })))
}

/**
 * The nodes that may hold an owner's addresses, in the order they would (issue 20): the owner, then
 * its takers first to last; in a pair, every node that watches the owner.
 */
export function mayHold(setup: Setup, owner: string): string[] {
  const takers = setup.nodes.find((n) => n.id === owner)?.takers
  if (takers) return [owner, ...takers]
  return setup.nodes.filter((n) => n.id === owner || n.watches.includes(owner)).map((n) => n.id)
}
