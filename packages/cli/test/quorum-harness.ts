import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EtcdCluster, startEtcdCluster } from '@ipfo/testkit'
import { afterEach } from 'vitest'
import { type MeshOptions, startNamespaceMesh } from './mesh-harness.js'

/**
 * A mesh of real agents (mesh-harness.ts) that keep their quorum on a real etcd cluster (issue 21):
 * three members, each in a namespace of its own on the nodes' private network (the agents' namespaces
 * cannot reach this process's loopback), started before the agents and killed with the mesh.
 */
export interface QuorumOptions extends Omit<MeshOptions, 'services' | 'extra'> {
  /** The lease's TTL; default 4s (2s lapsed in elections on the shared two-core machine). */
  readonly leaseTtl?: string
  /** Fields of a node's `coordination` section besides kind, endpoints and leaseTtl (`onQuorumLoss`). */
  readonly coordination?: (node: string) => Readonly<Record<string, unknown>>
}

export type QuorumMesh = Awaited<ReturnType<typeof startQuorumMesh>>

/** The etcd members' names (and their namespaces' suffixes). */
export const ETCD_MEMBERS = ['e0', 'e1', 'e2'] as const

const PREFIX = '/ipfo/'

/** For a test file: how to open a quorum mesh that is closed after each test whatever its outcome. */
export function quorumMeshPerTest(): (opts: QuorumOptions) => Promise<QuorumMesh> {
  let mesh: QuorumMesh | undefined
  afterEach(async () => {
    if (mesh && process.env.MESH_DEBUG) await mesh.dump(process.env.MESH_DEBUG)
    await mesh?.close()
    mesh = undefined
  })
  return async (opts) => {
    mesh = await startQuorumMesh(opts)
    return mesh
  }
}

export async function startQuorumMesh(opts: QuorumOptions) {
  const mesh = await startNamespaceMesh({
    ...opts,
    services: ETCD_MEMBERS,
    extra: (node, topology) => ({
      coordination: {
        kind: 'etcd',
        endpoints: topology.services.map((s) => `http://${s.ipv4}:2379`),
        prefix: PREFIX,
        leaseTtl: opts.leaseTtl ?? '4s',
        ...opts.coordination?.(node),
      },
    }),
  })
  const { topology } = mesh
  let etcd: EtcdCluster
  try {
    // Raft at 100/1000 ms, not the adapter tests' 50/500: agents, members and the test share two
    // cores, and an election nobody asked for is a renewal delayed.
    etcd = await startEtcdCluster({
      placement: topology.services.map((s) => ({ ns: s.ns, ip: s.ipv4 })),
      heartbeatMs: 100,
      electionMs: 1_000,
    })
  } catch (error) {
    await mesh.close()
    throw error
  }
  /** A node's or a member's namespace and its addresses. */
  const place = (name: string) => {
    const service = topology.services.find((s) => s.name === name)
    if (service) return { ns: service.ns, ips: [service.ipv4] }
    const node = topology.node(name)
    return { ns: node.ns, ips: [node.public.ipv4, ...(node.private ? [node.private.ipv4] : [])] }
  }
  const cut = new Set<string>()
  const inNs = async (ns: string, command: string, args: readonly string[]) => {
    const result = await topology.exec(ns, command, args)
    if (result.exitCode !== 0)
      throw new Error(`${command} ${args.join(' ')} in ${ns} failed (${result.exitCode}): ${result.stderr}`)
    return result.stdout
  }
  return {
    ...mesh,
    etcd,
    /** Who holds the key of `owner`'s addresses in etcd now (its value), or undefined. */
    async keyHolder(owner: string): Promise<string | undefined> {
      const out = await etcd.etcdctl(['get', '--print-value-only', `${PREFIX}holders/${owner}`])
      return out.trim() || undefined
    },
    /**
     * Splits the network: a node or member of one side neither sends to nor hears the nodes and
     * members of another (nftables in each one's namespace). The client stays outside every side, and
     * so reaches every node.
     */
    async partition(sides: readonly (readonly string[])[]) {
      for (const [i, side] of sides.entries()) {
        const others = sides.flatMap((s, j) => (j === i ? [] : s.flatMap((name) => place(name).ips)))
        for (const name of side) {
          const { ns } = place(name)
          const file = join(tmpdir(), `ipfo-cut-${ns}.nft`)
          const set = `{ ${others.join(', ')} }`
          await writeFile(
            file,
            `table inet ipfo-cut {
  chain in { type filter hook input priority 0; policy accept; ip saddr ${set} drop; }
  chain out { type filter hook output priority 0; policy accept; ip daddr ${set} drop; }
}
`,
          )
          try {
            await inNs(ns, 'nft', ['-f', file])
          } finally {
            await rm(file, { force: true })
          }
          cut.add(ns)
        }
      }
    },
    /** Ends every partition. */
    async heal() {
      for (const ns of cut) await inNs(ns, 'nft', ['delete', 'table', 'inet', 'ipfo-cut'])
      cut.clear()
    },
    /** SIGSTOP / SIGCONT of a node's agent (its guard runs on: its pipe stays open). */
    freeze: (node: string) => process.kill(mesh.agent(node)!.pid!, 'SIGSTOP'),
    thaw: (node: string) => process.kill(mesh.agent(node)!.pid!, 'SIGCONT'),
    async close() {
      await etcd.close()
      await mesh.close()
    },
  }
}
