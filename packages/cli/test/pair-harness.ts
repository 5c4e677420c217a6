import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatus, HeapAfterGc } from '@ipfo/core'
import { type AgentLogLine, AgentProcess } from '../src/demo/agent-process.js'
import { namespaceStage } from '../src/demo/namespace-stage.js'
import { type ExtraConfig, type NodeFiles, writeNodeFiles } from '../src/demo/node-files.js'
import { addressReader } from './address-reader.js'
import { type HolderView, sampleHolders } from './handover.js'

export type NamespacePair = Awaited<ReturnType<typeof startNamespacePair>>

/**
 * Two real agents in real namespaces (a owns the VIP, b watches a), plus helpers to look at the
 * interfaces and the agents' logs. `config` adds sections to a node's config (e.g. `hooks`).
 * `close()` kills every agent and removes every namespace.
 */
/** The pair's timers unless a test sets its own: short, so that the tests are quick. */
export const PAIR_TIMING = { intervalMs: 50, deadAfterMs: 150 }

export async function startNamespacePair(
  opts: {
    ipv6?: boolean
    config?: ExtraConfig | ((stage: Awaited<ReturnType<typeof namespaceStage>>) => ExtraConfig)
    interval?: string
    deadAfter?: string
    /** Node.js flags for the agents (`--expose-gc` lets `collectGarbage` ask for a collection). */
    nodeFlags?: readonly string[]
  } = {},
) {
  const stage = await namespaceStage({
    ipv6: opts.ipv6 ?? false,
    interval: opts.interval ?? `${PAIR_TIMING.intervalMs}ms`,
    deadAfter: opts.deadAfter ?? `${PAIR_TIMING.deadAfterMs}ms`,
    nodeFlags: opts.nodeFlags ?? [],
  })
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-netns-'))
  let files: NodeFiles
  try {
    files = await writeNodeFiles(
      stage,
      dir,
      typeof opts.config === 'function' ? opts.config(stage) : opts.config,
    )
  } catch (error) {
    await stage.destroy()
    throw error
  }
  /**
   * Every agent's log lines in the order this test read them, which under load need not be the order
   * the agents wrote them in: when a line's event happened is its `eventTime`, on the agent's clock
   * (the machine's). `readAt` is for stories told when a test fails, never for an assertion.
   */
  const log: { node: string; line: AgentLogLine; readAt: number }[] = []
  const stderr: string[] = []
  const agent = (node: 'a' | 'b') =>
    new AgentProcess(
      node,
      stage.agentCommand(node, ['--config', files.config[node]]),
      (n, line) => log.push({ node: n, line, readAt: Date.now() }),
      (n, text) => stderr.push(`${n}: ${text}`),
    )
  const { topology } = stage
  const vipIp = stage.vip.split('/')[0]!
  return {
    stage,
    topology,
    vipIp,
    files,
    log,
    stderr,
    agent,
    kinds: (node: string) => log.filter((l) => l.node === node).map((l) => l.line.kind),
    async status(node: 'a' | 'b'): Promise<AgentStatus> {
      const { controlRequest } = await import('@ipfo/core/agent')
      return controlRequest<AgentStatus>(files.socket[node], { method: 'status' })
    },
    /**
     * The agent's heap after a full collection, and a heap snapshot in `snapshotDir` if given (agents
     * started with `nodeFlags: ['--expose-gc']`).
     */
    async collectGarbage(node: 'a' | 'b', snapshotDir?: string): Promise<HeapAfterGc> {
      const { controlRequest } = await import('@ipfo/core/agent')
      // A snapshot takes seconds (longer on a busy machine); a collection alone, some 100 ms.
      return controlRequest<HeapAfterGc>(
        files.socket[node],
        snapshotDir === undefined ? { method: 'gc' } : { method: 'gc', snapshotDir },
        { timeoutMs: 120_000 },
      )
    },
    /** Runs a command in the client namespace. */
    client(command: string, args: string[]) {
      return topology.exec(topology.client!.ns, command, args)
    },
    /** The MAC the client's neighbour table has for the VIP, or undefined. */
    async clientNeighbourMac(): Promise<string | undefined> {
      const family = vipIp.includes(':') ? '-6' : '-4'
      const result = await topology.exec(topology.client!.ns, 'ip', [family, '-j', 'neigh', 'show', vipIp])
      const entries = JSON.parse(result.stdout || '[]') as { lladdr?: string }[]
      return entries[0]?.lladdr
    },
    async close() {
      await AgentProcess.killAll()
      await stage.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Polls until `probe` returns something truthy, or fails naming what it waited for. */
export async function until<T>(
  what: string,
  probe: () => Promise<T> | T,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Looks at pub0 in both nodes' namespaces through one `ip -j -batch -` kept running in each: no
 * process starts per look, so looks come every few milliseconds rather than every few tens (a double
 * holding shorter than that can still fall between two looks: the agents' event times catch it).
 * b is asked only once a's answer is in: a look that shows both during a failback (b to a) proves
 * both held the VIP at once.
 */
export function interfaceLooks(
  pair: NamespacePair,
  order: readonly ('a' | 'b')[] = ['a', 'b'],
): HolderView & { close(): void } {
  const readers = order.map((node) => ({ node, reader: addressReader(pair.topology.node(node).ns) }))
  return {
    async holders() {
      const out: string[] = []
      for (const { node, reader } of readers)
        if ((await reader.addresses()).includes(pair.vipIp)) out.push(node)
      return out
    },
    close() {
      for (const { reader } of readers) reader.close()
    },
  }
}

/**
 * Looks at the interfaces (interfaceLooks) until `stop` settles; returns every look. Read the node
 * the VIP goes to first (`order`), so that a look showing both proves both held it at once.
 */
export async function sampleInterfaces(
  pair: NamespacePair,
  stop: Promise<unknown>,
  order: readonly ('a' | 'b')[] = ['a', 'b'],
): Promise<string[][]> {
  const looks = interfaceLooks(pair, order)
  try {
    return await sampleHolders(looks, stop)
  } finally {
    looks.close()
  }
}
