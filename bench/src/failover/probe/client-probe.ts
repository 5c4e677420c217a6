import { fileURLToPath } from 'node:url'
import { ProcessGroup } from '../process-group.js'
import { NODES, type Stage } from '../stage.js'
import { mustUntil } from '../wait.js'
import { type Answers, emptyAnswers, record } from './answers.js'

const RESPONDER = fileURLToPath(new URL('./responder.js', import.meta.url))
const PROBER = fileURLToPath(new URL('./prober.js', import.meta.url))
export const PROBE_PORT = 7007

/** The service on each node: a UDP responder that answers with the node's name. */
export async function startResponders(stage: Stage): Promise<{ stop(): Promise<void> }> {
  const groups = NODES.map(
    (node) =>
      new ProcessGroup(`responder-${node}`, [
        'ip',
        'netns',
        'exec',
        stage.ns(node),
        process.execPath,
        RESPONDER,
        node,
        stage.vip,
        String(PROBE_PORT),
      ]),
  )
  for (const group of groups) {
    await mustUntil(`${group.name} to listen`, () => group.lines.some((l) => l.text === 'ready'), 10_000)
  }
  return {
    stop: async () => {
      await Promise.all(groups.map((g) => g.kill()))
    },
  }
}

export interface ClientProbe {
  readonly answers: Answers
  readonly everyMs: number
  /** Stops probing; the answers stay readable. */
  stop(): Promise<void>
}

/** Starts the client probing the VIP (and the broadcast address) every `everyMs`. */
export async function startClientProbe(stage: Stage, everyMs: number): Promise<ClientProbe> {
  const answers = emptyAnswers()
  const group = new ProcessGroup(
    'prober',
    [
      'ip',
      'netns',
      'exec',
      stage.ns('client'),
      process.execPath,
      PROBER,
      stage.vip,
      stage.broadcast,
      String(PROBE_PORT),
      String(everyMs),
    ],
    { keepLines: false, onLine: (line) => record(answers, line.text) },
  )
  return {
    answers,
    everyMs,
    async stop() {
      await group.stop()
    },
  }
}
