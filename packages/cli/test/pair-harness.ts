import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AgentStatus, HeapAfterGc } from '@ipfo/core'
import { type AgentLogLine, AgentProcess } from '../src/demo/agent-process.js'
import { namespaceStage } from '../src/demo/namespace-stage.js'
import { type ExtraConfig, type PairFiles, writePairFiles } from '../src/demo/pair-files.js'

export type NamespacePair = Awaited<ReturnType<typeof startNamespacePair>>

/**
 * Two real agents in real namespaces (a owns the VIP, b watches a), plus helpers to look at the
 * interfaces and the agents' logs. `config` adds sections to a node's config (e.g. `hooks`).
 * `close()` kills every agent and removes every namespace.
 */
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
    interval: opts.interval ?? '50ms',
    deadAfter: opts.deadAfter ?? '150ms',
    nodeFlags: opts.nodeFlags ?? [],
  })
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-netns-'))
  let files: PairFiles
  try {
    files = await writePairFiles(
      stage,
      dir,
      typeof opts.config === 'function' ? opts.config(stage) : opts.config,
    )
  } catch (error) {
    await stage.destroy()
    throw error
  }
  const log: { node: string; line: AgentLogLine; at: number }[] = []
  const stderr: string[] = []
  const agent = (node: 'a' | 'b') =>
    new AgentProcess(
      node,
      stage.agentCommand(node, ['--config', files.config[node]]),
      (n, line) => log.push({ node: n, line, at: Date.now() }),
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
      const { controlRequest } = await import('@ipfo/core/node')
      return controlRequest<AgentStatus>(files.socket[node], { method: 'status' })
    },
    /**
     * The agent's heap after a full collection, and a heap snapshot in `snapshotDir` if given (agents
     * started with `nodeFlags: ['--expose-gc']`).
     */
    async collectGarbage(node: 'a' | 'b', snapshotDir?: string): Promise<HeapAfterGc> {
      const { controlRequest } = await import('@ipfo/core/node')
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

/** Samples which nodes hold the VIP until `stop` resolves; returns every sample. */
export async function sampleHolders(pair: NamespacePair, stop: Promise<unknown>): Promise<string[][]> {
  const samples: string[][] = []
  let done = false
  void stop.finally(() => {
    done = true
  })
  while (!done) {
    samples.push(await pair.stage.holders())
    await new Promise((r) => setTimeout(r, 2))
  }
  samples.push(await pair.stage.holders())
  return samples
}
