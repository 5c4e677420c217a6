import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentProcess } from './agent-process.js'
import { loopbackStage } from './loopback-stage.js'
import { type DemoIo, type DemoResult, runDemo } from './run-demo.js'
import type { Stage } from './stage.js'

/**
 * Picks the stage (namespaces as root, loopback otherwise), runs the demo, and cleans up whatever
 * happens: agents killed, namespaces removed, temp files deleted, also on Ctrl-C.
 */
export async function runDemoWithCleanup(opts: DemoIo & { loopback: boolean }): Promise<DemoResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-demo-'))
  let stage: Stage | undefined
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
    stage = await chooseStage(opts.loopback, dir, opts.print)
    return await runDemo(stage, dir, opts)
  } finally {
    process.off('SIGINT', onInterrupt)
    process.off('SIGTERM', onInterrupt)
    await cleanup()
  }
}

async function chooseStage(loopback: boolean, dir: string, print: (line: string) => void): Promise<Stage> {
  if (!loopback) {
    const { netnsAvailable } = await import('@ipfo/core/netns')
    const available = netnsAvailable()
    if (available.ok) {
      const { namespaceStage } = await import('./namespace-stage.js')
      return namespaceStage()
    }
    print(`network namespaces are not available (${available.reason}): running on loopback instead`)
  }
  return loopbackStage(dir, 20_000 + Math.floor(Math.random() * 20_000))
}
