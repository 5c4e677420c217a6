import { fileURLToPath } from 'node:url'
import { ProcessGroup } from '../process-group.js'
import type { NodeName, Stage } from '../stage.js'
import { mustUntil } from '../wait.js'
import { type Answers, emptyAnswers, record } from './answers.js'

const SERVICE = fileURLToPath(new URL('./service.js', import.meta.url))
const WITNESS = fileURLToPath(new URL('./witness.js', import.meta.url))
const PROBER = fileURLToPath(new URL('./prober.js', import.meta.url))
/** The service's UDP port (the client's probes to the VIP). */
export const PROBE_PORT = 7007
/** The witness's UDP port (the client's broadcast probes). */
export const WITNESS_PORT = 7008
/** The service's HTTP port on each node's loopback, where the health checks look. */
export const SERVICE_HTTP_PORT = 8080
export const SERVICE_URL = `http://127.0.0.1:${SERVICE_HTTP_PORT}/`

/**
 * What runs on each node beside the daemon: the service (answers the client's probes to the VIP with
 * the node's name, serves HTTP on 127.0.0.1:8080 for the health checks) and the witness (answers the
 * broadcast probes while the node holds the VIP). Each is a process group of its own.
 */
export interface Services {
  /** SIGKILL to the node's service (the service-death fault); its witness lives on. */
  kill(node: NodeName): Promise<void>
  /** Starts the node's service again; resolves once it listens. */
  start(node: NodeName): Promise<void>
  stop(): Promise<void>
}

export async function startServices(stage: Stage): Promise<Services> {
  const inNs = (node: NodeName, script: string, args: readonly string[]) => [
    'ip',
    'netns',
    'exec',
    stage.ns(node),
    process.execPath,
    script,
    ...args,
  ]
  const service = (node: NodeName) =>
    new ProcessGroup(
      `service-${node}`,
      inNs(node, SERVICE, [node, String(PROBE_PORT), String(SERVICE_HTTP_PORT)]),
    )
  const services: Partial<Record<NodeName, ProcessGroup>> = {}
  const witnesses = stage.nodes.map(
    (node) =>
      new ProcessGroup(`witness-${node}`, inNs(node, WITNESS, [node, stage.vip, String(WITNESS_PORT)])),
  )
  const listening = (group: ProcessGroup) =>
    mustUntil(`${group.name} to listen`, () => group.lines.some((l) => l.text === 'ready'), 10_000)
  const all = () => [...witnesses, ...Object.values(services)]
  try {
    for (const node of stage.nodes) services[node] = service(node)
    for (const group of all()) await listening(group)
  } catch (error) {
    await Promise.all(all().map((g) => g.kill()))
    throw error
  }
  return {
    async kill(node) {
      await services[node]?.kill()
    },
    async start(node) {
      await services[node]?.kill()
      const group = service(node)
      services[node] = group
      await listening(group)
    },
    stop: async () => {
      await Promise.all(all().map((g) => g.kill()))
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
      String(WITNESS_PORT),
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
