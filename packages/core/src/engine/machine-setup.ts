import type { Config } from '../config/schema.js'
import { peerTakers } from '../config/takers-schema.js'
import type { InterfaceAddress } from '../model/ip.js'
import type { MachineSetup } from '../state-machine/transition.js'

/** Every set of addresses this node may hold: its own, then each watched peer's takeover list. */
export function ownersOf(config: Config): { owner: string; addresses: readonly InterfaceAddress[] }[] {
  return [
    { owner: config.node, addresses: config.owns.map(plain) },
    ...config.peers.map((p) => ({ owner: p.id, addresses: p.takeover.map(plain) })),
  ]
}

/** The address alone, without what the config says about it (its required checks). */
function plain(a: InterfaceAddress): InterfaceAddress {
  return { interface: a.interface, ip: a.ip, prefix: a.prefix, family: a.family }
}

/** Every address of `ownersOf`, in one list. */
export function allAddresses(config: Config): InterfaceAddress[] {
  return ownersOf(config).flatMap((o) => o.addresses)
}

/** Each set of addresses with its order's takers (see state-machine/order.ts). */
function resourcesOf(config: Config): MachineSetup['resources'] {
  return [
    { owner: config.node, addresses: config.owns.map(plain), takers: config.takers ?? null },
    ...config.peers.map((p) => ({
      owner: p.id,
      addresses: p.takeover.map(plain),
      takers: peerTakers(config.node, p),
    })),
  ]
}

/** The pure machine's setup from a validated config: timings in milliseconds, peers, resources. */
export function machineSetup(config: Config): MachineSetup {
  return {
    self: config.node,
    listening: false,
    timing: {
      intervalMs: config.interval,
      deadAfterMs: config.deadAfter,
      carrierSettleMs: Math.max(config.deadAfter, config.carrierSettle),
      failback: {
        policy: config.failback.policy,
        stableForMs: config.failback.stableFor,
        claimTimeoutMs: config.failback.claimTimeout,
      },
      announce: { count: config.announce.count, intervalMs: config.announce.interval },
      retryAfterMs: Math.max(5_000, config.deadAfter),
      arbitrate: config.arbitration.probe || config.arbitration.witness.length > 0,
      onAllUnfit: config.onAllUnfit,
      quorum: config.coordination ? { onLoss: config.coordination.onQuorumLoss } : null,
    },
    fitnessOnWire: Object.keys(config.checks).length > 0,
    linkNames: config.links.map((l) => l.name),
    peers: config.peers.map((p) => p.id),
    resources: resourcesOf(config),
    releaseOnStop: config.onStop === 'release',
  }
}
