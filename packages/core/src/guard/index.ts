/**
 * `@ipfo/core/guard`: what the guard process runs (the CLI's guard entry wires it to its stdin). Kept
 * apart from `@ipfo/core/agent` so that the guard loads only this: address removal and a few sockets.
 */
import { ipBatch } from '../adapters/address/ip-batch.js'
import { platformAddressControl } from '../adapters/address/pick.js'
import { endAgentLeftovers, processGroupOf } from '../adapters/agent-leftovers.js'
import { systemCommandRunner } from '../adapters/command-runner.js'
import type { EventOf } from '../model/events.js'
import type { GuardDeps, GuardOutcome } from './run-guard.js'
import { wordSender } from './word-sender.js'

export type { GuardHello } from '../adapters/guard-protocol.js'
export { type GuardOutcome, runGuard } from './run-guard.js'

/** The real ports: the platform's address control (on Linux a long-lived `ip -batch`, started now) and UDP. */
export function systemGuardDeps(onBadLine: (message: string) => void): GuardDeps {
  // The agent started this guard: its pid is the parent's until the agent dies.
  const agentPid = process.ppid
  let agentGroup: Promise<number | undefined> = Promise.resolve(undefined)
  return {
    address: (hello) => {
      if (hello.platform === 'linux') agentGroup = processGroupOf(agentPid)
      const batch = hello.platform === 'linux' ? ipBatch() : undefined
      batch?.start()
      return platformAddressControl(hello.platform, systemCommandRunner, batch ? { batch } : {})
    },
    sender: wordSender,
    onBadLine,
    endLeftovers: async () => endAgentLeftovers(agentPid, await agentGroup),
  }
}

/** The event the guard logs (and leaves for the next agent) after it acted. */
export function guardActedEvent(
  outcome: Extract<GuardOutcome, { kind: 'acted' }>,
  time: number,
): EventOf<'guard-acted'> {
  const { node, removed, kept, lastWord, failures, tookMs } = outcome
  return {
    time,
    kind: 'guard-acted',
    node,
    removed: [...removed],
    kept: [...kept],
    lastWord: [...lastWord],
    failures: [...failures],
    tookMs,
    recorded: false,
  }
}

/**
 * After acting: the event in the agent's log (its stdout, shared with the guard, or its file) and in
 * the event log file, and a record the next agent reports at its start. Each is tried on its own.
 */
export async function reportGuardAct(
  outcome: Extract<GuardOutcome, { kind: 'acted' }>,
  time: number,
  onError: (message: string) => void,
): Promise<EventOf<'guard-acted'>> {
  const event = guardActedEvent(outcome, time)
  const { log, eventLog, stateDir } = outcome.hello
  // Loaded only now, once the guard has acted: until then it holds no logger (pino and its
  // streams), only what removing addresses and sending the words take.
  const [{ eventLogger }, { leaveGuardRecord }] = await Promise.all([
    import('../adapters/event-log.js'),
    import('../adapters/guard-record.js'),
  ])
  for (const destination of eventLog ? [log, eventLog] : [log]) {
    try {
      const logger = eventLogger(destination)
      logger(event)
      logger.flush()
    } catch (error) {
      onError(`logging to ${destination}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  await leaveGuardRecord(stateDir, event).catch((error: Error) =>
    onError(`leaving the record in ${stateDir}: ${error.message}`),
  )
  return event
}
