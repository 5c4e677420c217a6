import type { AgentStatus } from '@ipfo/core'
import { AgentProcess } from './agent-process.js'
import { writeNodeFiles } from './node-files.js'
import type { Stage } from './stage.js'
import { createTimeline, type TimelineIo } from './timeline.js'

export interface DemoIo extends TimelineIo {
  /** What the demo is waiting for now, for a progress display; lines printed meanwhile go above it. */
  progress?(what: string): void
}

export type Story<N extends string> = Awaited<ReturnType<typeof openStory<N>>>

/**
 * What every demo story works with: the stage, its nodes' files, the live timeline, and each node's
 * agent (started and restarted here). `close()` drops pending waits and stops every agent.
 */
async function openStory<N extends string>(stage: Stage<N>, dir: string, io: DemoIo) {
  const timeline = createTimeline(io)
  const { controlRequest } = await import('@ipfo/core/agent')
  const files = await writeNodeFiles(stage, dir)
  const agents = new Map<N, AgentProcess>()
  const acquisitions: N[] = []
  const onLine: typeof timeline.onLine = (node, line) => {
    if (line.kind === 'acquired') acquisitions.push(node as N)
    timeline.onLine(node, line)
  }
  return {
    stage,
    timeline,
    print: (line: string) => io.print(line),
    progress: (what: string) => io.progress?.(what),
    /** The nodes that reported `acquired`, in the order their lines came in. */
    acquisitions: acquisitions as readonly N[],
    /** Starts a node's agent (again, after it was killed). */
    start(node: N): void {
      const command = stage.agentCommand(node, ['--config', files.config[node]])
      const agent = new AgentProcess(node, command, onLine, timeline.onStderr)
      agents.set(node, agent)
      agent.start()
    },
    /** SIGKILL of a node's agent. */
    kill: (node: N) => agents.get(node)?.kill(),
    status: (node: N) => controlRequest<AgentStatus>(files.socket[node], { method: 'status' }),
    async close(): Promise<void> {
      timeline.close()
      await Promise.all([...agents.values()].map((agent) => agent.stop()))
    },
  }
}

/**
 * Opens a story, prints where it runs and `intro` (what will happen), tells it, and closes it
 * whatever happens.
 */
export async function tellStory<N extends string, R>(
  stage: Stage<N>,
  dir: string,
  io: DemoIo,
  intro: string,
  tell: (story: Story<N>) => Promise<R>,
): Promise<R> {
  const story = await openStory(stage, dir, io)
  io.print(`ipfo demo on ${stage.description}`)
  io.print(intro)
  if (stage.caveat) io.print(`note: ${stage.caveat}`)
  io.print('')
  try {
    return await tell(story)
  } finally {
    await story.close()
  }
}
