import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeName, Stage } from './stage.js'

/**
 * partition: the holder is cut off from the other nodes on every heartbeat link and from every etcd
 * member, while the client still reaches it on the public network and its cables stay in (carrier
 * up). Real packet filtering in the node's own namespace: an nftables table that drops what goes to
 * or comes from the other nodes' addresses (public and private: ipfo's heartbeats on both links,
 * keepalived's adverts, unicast to the peer's public address) and the etcd members'. ARP is not
 * filtered (the nodes share the public segment): nothing the daemons decide by reads it, as
 * configured here (ipfo's arbitration probes are off). ucarp is left out: it sends and hears its
 * adverts as Ethernet frames through libpcap, which IP filtering does not see.
 */

/** The nftables table the partition adds to the node's namespace; the heal deletes it. */
export const PARTITION_TABLE = 'ipfo-bench-cut'

type Addresses = Pick<Stage, 'nodes' | 'publicIp' | 'privateIp' | 'etcd'>

/** The addresses `node` may no longer reach nor hear: every other node's, on both networks, and every etcd member's. */
export function partitionedFrom(stage: Addresses, node: NodeName): string[] {
  return [
    ...stage.nodes.filter((n) => n !== node).flatMap((n) => [stage.publicIp(n), stage.privateIp(n)]),
    ...stage.etcd.map((member) => member.ip),
  ]
}

/** The nftables ruleset that cuts `node` off (loaded with `nft -f` in its namespace, in one transaction). */
export function partitionRuleset(stage: Addresses, node: NodeName): string {
  const set = `{ ${partitionedFrom(stage, node).join(', ')} }`
  return [
    `table inet ${PARTITION_TABLE} {`,
    '  chain in {',
    '    type filter hook input priority 0; policy accept;',
    `    ip saddr ${set} drop`,
    '  }',
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    `    ip daddr ${set} drop`,
    '  }',
    '}',
    '',
  ].join('\n')
}

/** The commands, run inside the node's namespace, that cut it off (from the ruleset's file) and heal it. */
export function partitionCommands(file: string): {
  readonly cut: readonly string[]
  readonly heal: readonly string[]
} {
  return {
    cut: ['nft', '-f', file],
    heal: ['nft', 'delete', 'table', 'inet', PARTITION_TABLE],
  }
}

type Stageish = Addresses & Pick<Stage, 'ns' | 'topology'>

async function inNamespace(stage: Stageish, node: NodeName, [command, ...args]: readonly string[]) {
  const result = await stage.topology.exec(stage.ns(node), command!, args)
  if (result.exitCode !== 0)
    throw new Error(`${[command, ...args].join(' ')} in ${node}'s namespace failed: ${result.stderr.trim()}`)
}

/** Cuts `node` off (see partitionRuleset). */
export async function partition(stage: Stageish, node: NodeName): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-bench-cut-'))
  try {
    const file = join(dir, 'partition.nft')
    await writeFile(file, partitionRuleset(stage, node))
    await inNamespace(stage, node, partitionCommands(file).cut)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Ends the partition of `node`: its table goes, everything passes again. */
export async function healPartition(stage: Stageish, node: NodeName): Promise<void> {
  await inNamespace(stage, node, partitionCommands('').heal)
}
