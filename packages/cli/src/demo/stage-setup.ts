import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentProcess } from './agent-process.js'
import type { DemoResult } from './demo-result.js'
import { loopbackStage } from './loopback-stage.js'
import { PAIR, TRIO } from './node-roles.js'
import { runDemo } from './run-demo.js'
import { runTrioDemo } from './run-trio-demo.js'
import type { Stage } from './stage.js'
import type { DemoIo } from './story.js'

/**
 * Picks the stage (namespaces as root, loopback otherwise) for two nodes or three, runs that
 * story, and cleans up whatever happens: agents killed, namespaces removed, temp files deleted, also
 * on Ctrl-C.
 */
export async function runDemoWithCleanup(
  opts: DemoIo & { loopback: boolean; nodes?: 2 | 3 },
): Promise<DemoResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-demo-'))
  let stage: Stage<string> | undefined
  const cleanup = async () => {
    opts.progress?.('cleaning up')
    await AgentProcess.killAll()
    await stage?.destroy()
    await rm(dir, { recursive: true, force: true })
  }
  const onInterrupt = () => {
    opts.print('\ninterrupted: cleaning up')
    void cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onInterrupt)
  process.once('SIGTERM', onInterrupt)
  try {
    opts.progress?.('setting the stage')
    if (opts.nodes === 3) {
      const trio = await chooseStage(opts.loopback, dir, opts.print, TRIO)
      stage = trio
      return await runTrioDemo(trio, dir, opts)
    }
    const pair = await chooseStage(opts.loopback, dir, opts.print, PAIR)
    stage = pair
    return await runDemo(pair, dir, opts)
  } finally {
    process.off('SIGINT', onInterrupt)
    process.off('SIGTERM', onInterrupt)
    await cleanup()
  }
}

async function chooseStage<N extends string>(
  loopback: boolean,
  dir: string,
  print: (line: string) => void,
  nodes: readonly N[],
): Promise<Stage<N>> {
  if (!loopback) {
    const { netnsAvailable } = await import('@ipfo/core/netns')
    const available = netnsAvailable()
    if (available.ok) {
      const { namespaceStage } = await import('./namespace-stage.js')
      return namespaceStage({ nodes })
    }
    print(`network namespaces are not available (${available.reason}): running on loopback instead`)
  }
  return loopbackStage(dir, 20_000 + Math.floor(Math.random() * 20_000), nodes)
}
