import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatus, HeapAfterGc } from '@ipfo/core'
import type { Topology } from '@ipfo/core/netns'
import { afterEach, expect } from 'vitest'
import { type AgentLogLine, AgentProcess } from '../src/demo/agent-process.js'
import { namespaceAgentCommand } from '../src/demo/namespace-stage.js'
import { type NodeFiles, writeConfigFiles } from '../src/demo/node-files.js'
import { addressReader } from './address-reader.js'
import { killAgentAndGuard } from './netns-processes.js'
import { until } from './pair-harness.js'

/**
 * N real agents in real namespaces (issue 20: orders of takers), each node on a private and a public
 * network (two bridges), plus a client on the public one. Every node lists every other in `peers`
 * (full mesh, heartbeats on both links to every other node); each owner's addresses (on `pub0`) go
 * to its takers, first to last. The agents are not started.
 */
export interface MeshOptions {
  readonly nodes: readonly string[]
  /** Per owner: the hosts of its addresses on the public network (50-99), and its takers in order. */
  readonly groups: Readonly<
    Record<string, { readonly hosts: readonly number[]; readonly takers: readonly string[] }>
  >
  /** Default 50ms, as the pair tests. */
  readonly interval?: string
  /**
   * Default 500ms, not the pair tests' 150ms. These tests look at the interfaces at every moment, and
   * "never two holders" holds while the nodes hear each other: an agent whose loop stalls past
   * deadAfter is not heard, and a peer takes its addresses while it still has them, by design. On
   * the shared two-core test machine three to five agents stalled 150-300 ms at times (two holders
   * for 60 ms once at 150ms, the stalled holder's `paused` event the cause).
   */
  readonly deadAfter?: string
  /**
   * Config sections added to every node's config (`announce`, say), or per node, knowing the
   * topology (the addresses of its services).
   */
  readonly extra?:
    | Readonly<Record<string, unknown>>
    | ((node: string, topology: Topology) => Readonly<Record<string, unknown>>)
  /** Namespaces of their own on the private network, for servers the nodes use (`Topology.services`). */
  readonly services?: readonly string[]
  /** Node.js flags for the agents (`--expose-gc` lets `collectGarbage` ask for a collection). */
  readonly nodeFlags?: readonly string[]
}

export type NamespaceMesh = Awaited<ReturnType<typeof startNamespaceMesh>>

/**
 * For a test file: returns how to open a mesh that is closed after each test whatever its outcome
 * (with MESH_DEBUG=<prefix>, its agents' log is written to <prefix>-<test name>.log first).
 */
export function meshPerTest(): (opts: MeshOptions) => Promise<NamespaceMesh> {
  let mesh: NamespaceMesh | undefined
  afterEach(async () => {
    if (mesh && process.env.MESH_DEBUG) await mesh.dump(process.env.MESH_DEBUG)
    await mesh?.close()
    mesh = undefined
  })
  return async (opts) => {
    mesh = await startNamespaceMesh(opts)
    return mesh
  }
}

export async function startNamespaceMesh(opts: MeshOptions) {
  const { createTopology } = await import('@ipfo/core/netns')
  const nodes = [...opts.nodes]
  const topology = await createTopology({
    nodes,
    withClient: true,
    ipv6: false,
    ...(opts.services ? { services: opts.services } : {}),
  })
  let dir: string | undefined
  try {
    dir = await mkdtemp(join(tmpdir(), 'ipfo-mesh-'))
    const files = await writeConfigFiles(dir, meshConfigs(topology, opts))
    return meshControls(topology, opts, files, dir)
  } catch (error) {
    await topology.destroy()
    if (dir) await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/** Each node's config for the mesh: links to every other node, its own addresses, every peer's order. */
function meshConfigs(topology: Topology, opts: MeshOptions): Record<string, Record<string, unknown>> {
  const addresses = (owner: string) =>
    (opts.groups[owner]?.hosts ?? []).map((host) => ({
      interface: 'pub0',
      address: `${topology.address('public', 4, host)}/${topology.prefixLength[4]}`,
    }))
  const configs: Record<string, Record<string, unknown>> = {}
  for (const node of opts.nodes) {
    const others = opts.nodes.filter((n) => n !== node)
    const takers = opts.groups[node]?.takers
    configs[node] = {
      interval: opts.interval ?? '50ms',
      deadAfter: opts.deadAfter ?? '500ms',
      links: [
        { name: 'private', targets: others.map((n) => topology.node(n).private!.ipv4) },
        { name: 'public', targets: others.map((n) => topology.node(n).public.ipv4) },
      ],
      owns: addresses(node),
      ...(takers && takers.length > 0 ? { takers } : {}),
      peers: others.map((peer) => {
        const order = opts.groups[peer]?.takers ?? []
        return {
          id: peer,
          takeover: order.includes(node) ? addresses(peer) : [],
          ...(order.length > 0 ? { takers: order } : {}),
        }
      }),
      ...(typeof opts.extra === 'function' ? opts.extra(node, topology) : opts.extra),
    }
  }
  return configs
}

function meshControls(topology: Topology, opts: MeshOptions, files: NodeFiles<string>, dir: string) {
  const nodes = [...opts.nodes]
  /** Each address (without prefix length) and its order: owner first, then its takers. */
  const orders = new Map<string, string[]>()
  for (const [owner, group] of Object.entries(opts.groups))
    for (const host of group.hosts) orders.set(topology.address('public', 4, host), [owner, ...group.takers])
  const vips = [...orders.keys()]
  /**
   * Nodes that are dead or cut off from both networks, as this test made them: what their interfaces
   * hold serves nobody (a dead machine keeps its addresses on an unplugged cable), so the looks leave
   * them out. A node is marked down before it is killed or cut, and up only once it holds nothing.
   */
  const down = new Set<string>()
  const agents = new Map<string, AgentProcess>()
  /**
   * Every agent's log lines in the order this test read them (not necessarily the order they were
   * written in); `readAt` is for stories told when a test fails, never for an assertion.
   */
  const log: { node: string; line: AgentLogLine; readAt: number }[] = []
  const stderr: string[] = []
  const readers = new Map(nodes.map((node) => [node, addressReader(topology.node(node).ns)]))
  const watchers = new Set<Watcher>()
  const start = (node: string) => {
    const agent = new AgentProcess(
      node,
      namespaceAgentCommand(topology, node, ['--config', files.config[node]!], opts.nodeFlags),
      (n, line) => log.push({ node: n, line, readAt: Date.now() }),
      (n, text) => stderr.push(`${n}: ${text}`),
    )
    agents.set(node, agent)
    agent.start()
    return agent
  }
  const control = async <T>(node: string, request: Record<string, unknown>, timeoutMs?: number) => {
    const { controlRequest } = await import('@ipfo/core/agent')
    return controlRequest<T>(files.socket[node]!, request as never, timeoutMs ? { timeoutMs } : {})
  }
  /** One look at every node that is up, in the order of `nodes`: which of them hold each address. */
  const look = async (): Promise<Record<string, string[]>> => {
    const out: Record<string, string[]> = Object.fromEntries(vips.map((vip) => [vip, []]))
    for (const node of nodes) {
      if (down.has(node)) continue
      const held = await readers.get(node)!.addresses()
      for (const vip of vips) if (held.includes(vip)) out[vip]!.push(node)
    }
    return out
  }
  /** Who should hold `vip` now: the first node of its order that is not down. */
  const expectedHolder = (vip: string) => orders.get(vip)!.find((node) => !down.has(node))
  const wrongHolders = async () => {
    const now = await look()
    return vips.flatMap((vip) => {
      const want = expectedHolder(vip)
      const got = now[vip]!.join()
      return got === (want ?? '') ? [] : [`${vip} on [${got}], not ${want ?? 'nobody'}`]
    })
  }
  return {
    topology,
    nodes,
    files,
    log,
    stderr,
    vips,
    down: down as ReadonlySet<string>,
    /** The order of an address: its owner, then its takers. */
    order: (vip: string) => orders.get(vip)!,
    /** The addresses `owner` owns. */
    owned: (owner: string) => vips.filter((vip) => orders.get(vip)![0] === owner),
    agent: (node: string) => agents.get(node),
    /** Every address on the node's pub0 now. */
    addresses: (node: string) => readers.get(node)!.addresses(),
    start,
    look,
    expectedHolder,
    /** Whether each address is held by its expected holder alone now (the first of its order that is up). */
    settled: async () => (await wrongHolders()).length === 0,
    /** Waits until each address is held by its expected holder alone (the first of its order that is up). */
    async settle(what: string, timeoutMs = 10_000) {
      let wrong: string[] = []
      await until(
        what,
        async () => {
          wrong = await wrongHolders()
          return wrong.length === 0
        },
        timeoutMs,
      ).catch((error) => {
        throw new Error(`${(error as Error).message}: ${wrong.join('; ')}`)
      })
    },
    status: (node: string) => control<AgentStatus>(node, { method: 'status' }),
    /** The agent's heap after a full collection (agents started with `nodeFlags: ['--expose-gc']`). */
    collectGarbage: (node: string) => control<HeapAfterGc>(node, { method: 'gc' }, 120_000),
    /** What `node` said of `kind` since the log's index `since`. */
    said(node: string, kind: string, since = 0) {
      return log.slice(since).flatMap((l) => (l.node === node && l.line.kind === kind ? [l.line] : []))
    },
    /** What every agent said since the log's index `since`, a line an event, for a failure's message. */
    story(since = 0) {
      return log
        .slice(since)
        .map((l) => {
          const { kind, eventTime, msg } = l.line
          return `${String(eventTime).slice(11)} ${l.node} ${kind}: ${msg}`
        })
        .join('\n')
    },
    /** Writes every line the agents logged (and when this test read it) to `prefix`-<the test's name>. */
    async dump(prefix: string) {
      const name = (expect.getState().currentTestName ?? 'test').replace(/[^a-z0-9]+/gi, '-').slice(0, 80)
      const lines = log.map((l) => `${l.readAt} ${l.node} ${JSON.stringify(l.line)}`)
      await writeFile(`${prefix}-${name}.log`, `${lines.join('\n')}\n`)
    },
    /**
     * The machine dies: marked down, its guard stopped (it neither hands over nor is started again),
     * its agent and guard killed, both cables pulled at the switch. Its addresses stay on its
     * interface, as on a dead machine's.
     */
    async kill(node: string) {
      down.add(node)
      const guard = await control<AgentStatus>(node, { method: 'status' }).then(
        (s) => s.guard?.pid,
        () => undefined,
      )
      const agent = agents.get(node)
      await killAgentAndGuard(agent ? [agent] : [], guard)
      await topology.unplug(node)
    },
    /**
     * The agent crashes (kill -9 of it and its guard, which would hand over): the machine lives on,
     * cables in, its addresses on its interface, as a crash leaves them. `start` starts it again.
     */
    async crash(node: string) {
      const guard = await control<AgentStatus>(node, { method: 'status' }).then(
        (s) => s.guard?.pid,
        () => undefined,
      )
      const agent = agents.get(node)
      await killAgentAndGuard(agent ? [agent] : [], guard)
    },
    /** The machine comes back: rebooted without its addresses, cables in, the agent started. */
    async revive(node: string) {
      for (const vip of vips)
        await topology.exec(topology.node(node).ns, 'ip', ['addr', 'del', `${vip}/24`, 'dev', 'pub0'])
      down.delete(node)
      await topology.plug(node)
      return start(node)
    },
    /** Both of the node's cables pulled at once while its agent runs; marked down first. */
    async cut(node: string) {
      down.add(node)
      await topology.unplug(node)
    },
    /**
     * The cables back in, once the node has let go of every address (without carrier it releases
     * them): what it would still hold then would be a second holder the moment it is plugged in.
     */
    async reconnect(node: string, timeoutMs = 10_000) {
      const reader = readers.get(node)!
      let held: string[] = []
      await until(
        `${node}, cut off, to let go of its addresses`,
        async () => {
          held = (await reader.addresses()).filter((a) => vips.includes(a))
          return held.length === 0
        },
        timeoutMs,
      ).catch((error) => {
        throw new Error(`${(error as Error).message}: it still holds ${held.join(', ')}`)
      })
      down.delete(node)
      await topology.plug(node)
    },
    /** Starts looking at the interfaces, over and over, until `stop()`: see `watchHolders`. */
    watch(pauseMs = 2) {
      const watcher = watchHolders(nodes, vips, down, (node) => readers.get(node)!.addresses(), pauseMs)
      watchers.add(watcher)
      return {
        async stop() {
          watchers.delete(watcher)
          return watcher.stop()
        },
      }
    },
    /** Kills every agent, removes every namespace and file; safe to call twice. */
    async close() {
      await Promise.all([...watchers].map((w) => w.stop().catch(() => undefined)))
      watchers.clear()
      await AgentProcess.killAll()
      for (const reader of readers.values()) reader.close()
      await topology.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** What the looks at the interfaces saw, from the start of a watch to its end. */
export interface WatchReport {
  readonly looks: number
  /** Moments an address was on two interfaces at once (of nodes up), as sentences; none is the point. */
  readonly doubles: string[]
  /** Per address, every node seen holding it. */
  readonly seen: Record<string, string[]>
  /** Per address, each change of its holders as the looks saw it (ms since the watch began). */
  readonly changes: string[]
  /** The same changes as data: `at` is when the look ended, on this process's performance.now(). */
  readonly moves: { readonly at: number; readonly vip: string; readonly holders: string[] }[]
  /** The last look: per address, who held it. */
  readonly last: Record<string, string[]>
}

interface Watcher {
  stop(): Promise<WatchReport>
}

/** At most this many sentences in a report's lists (a double holding that lasts is seen at every look). */
const REPORT_LINES = 50

/**
 * Looks at the interfaces of the nodes that are up, one node after the other, over and over, and
 * reports each address seen on two of them at once. A look reads the nodes in turn, so two nodes
 * seen holding an address in one look need not have held it together (the first may have let it go
 * and the second taken it between the two reads). What proves it: a node seen holding it at two
 * reads in a row (a look apart, a few ms) with another node seen holding it at a read in between.
 * An address held twice for longer than a look is therefore always caught, whichever way it moves.
 */
function watchHolders(
  nodes: readonly string[],
  vips: readonly string[],
  down: ReadonlySet<string>,
  read: (node: string) => Promise<string[]>,
  pauseMs: number,
): Watcher {
  const began = Date.now()
  let seq = 0
  let looks = 0
  /** Per address and node: the read of the node's last look, if it held the address then. */
  const heldAtPrevious = new Map<string, number | undefined>()
  /** Per address and node: the node's last read that saw it hold the address. */
  const lastHeld = new Map<string, number>()
  const doubles: string[] = []
  let doubleCount = 0
  const changes: string[] = []
  const moves: WatchReport['moves'] = []
  const seen: Record<string, string[]> = Object.fromEntries(vips.map((vip) => [vip, []]))
  let last: Record<string, string[]> = {}
  const key = (vip: string, node: string) => `${vip} ${node}`
  const record = (node: string, held: readonly string[] | undefined) => {
    const at = ++seq
    for (const vip of vips) {
      if (!held?.includes(vip)) {
        heldAtPrevious.set(key(vip, node), undefined)
        continue
      }
      const previous = heldAtPrevious.get(key(vip, node))
      if (previous !== undefined) {
        for (const other of nodes) {
          if (other === node) continue
          const between = lastHeld.get(key(vip, other))
          if (between !== undefined && between > previous) {
            doubleCount++
            if (doubles.length < REPORT_LINES)
              doubles.push(
                `${vip} on ${other} (read ${between}) while ${node} held it (reads ${previous} and ${at}), ${Date.now() - began} ms into the watch`,
              )
          }
        }
      }
      heldAtPrevious.set(key(vip, node), at)
      lastHeld.set(key(vip, node), at)
      if (!seen[vip]!.includes(node)) seen[vip]!.push(node)
    }
  }
  const lookOnce = async () => {
    const now: Record<string, string[]> = Object.fromEntries(vips.map((vip) => [vip, []]))
    for (const node of nodes) {
      const held = down.has(node) ? undefined : await read(node)
      record(node, held)
      for (const vip of vips) if (held?.includes(vip)) now[vip]!.push(node)
    }
    looks++
    for (const vip of vips) {
      if ((last[vip] ?? []).join() === now[vip]!.join()) continue
      moves.push({ at: performance.now(), vip, holders: now[vip]! })
      if (changes.length < REPORT_LINES * 4)
        changes.push(`${Date.now() - began} ms ${vip}: [${now[vip]!.join(', ')}]`)
    }
    last = now
  }
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      await lookOnce()
      await new Promise((r) => setTimeout(r, pauseMs))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      // A look begun before the caller saw what it waited for may end after it: one more, begun now.
      await lookOnce()
      if (doubleCount > doubles.length) doubles.push(`(and ${doubleCount - doubles.length} more)`)
      return { looks, doubles, seen, changes, moves, last }
    },
  }
}
