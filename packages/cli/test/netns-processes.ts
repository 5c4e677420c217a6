import { readdir, readFile } from 'node:fs/promises'
import type { AgentProcess } from '../src/demo/agent-process.js'
import { until } from './pair-harness.js'

/**
 * What runs in the test's namespaces, from outside them: for the checks that nothing is left
 * behind (processes, descriptors) after many failovers.
 */

/** What runs in a namespace besides the agents' helpers, for a failure's message. */
export async function processesIn(ns: string): Promise<string> {
  const cmds = await Promise.all(
    (await netnsPids(ns)).map(
      async (pid) =>
        `${pid}: ${(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ')} [${(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).slice(0, 80)}]`,
    ),
  )
  return cmds.join('; ')
}

/**
 * The processes in a namespace, listed from outside it (an `ip` run inside would list itself), less
 * each agent's own long-lived helpers: one `ip -force -batch -` (address changes), one
 * `ip -o monitor link` (carrier changes), one `socat ... INTERFACE:<if>` per interface
 * (gratuitous ARP frames) and its guard (with the guard's own `ip -force -batch -`), and less what
 * this test process runs there itself. A second helper of the same kind, or one whose agent is gone, stays in the list, so a leak shows.
 */
export async function netnsPids(ns: string): Promise<string[]> {
  const { execFile } = await import('node:child_process')
  const pids = await new Promise<string[]>((resolve) =>
    execFile('ip', ['netns', 'pids', ns], (_, stdout) =>
      resolve(String(stdout).trim().split('\n').filter(Boolean)),
    ),
  )
  const seen = new Set<string>()
  const helpers = new Set<string>()
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? ''
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')
    // The `ip` this test runs there itself (its looks at the interfaces) is not the agents'.
    if (ppid === String(process.pid) && argv[0] === 'ip') {
      helpers.add(pid)
      continue
    }
    const kind =
      argv.slice(1, 4).join(' ') === '-force -batch -'
        ? 'ip-batch'
        : argv.slice(1, 4).join(' ') === '-o monitor link'
          ? 'ip-monitor'
          : argv[0]?.endsWith('socat') && argv.at(-2)?.startsWith('INTERFACE:')
            ? `socat ${argv.at(-2)}`
            : argv[0] === 'ipfo guard'
              ? 'guard'
              : undefined
    if (kind === undefined) continue
    const key = `${ppid} ${kind}`
    if (pids.includes(ppid) && !seen.has(key)) {
      seen.add(key)
      helpers.add(pid)
    }
  }
  return pids.filter((pid) => !helpers.has(pid))
}

/** How many descriptors the process has open. */
export async function fds(pid: number) {
  return (await readdir(`/proc/${pid}/fd`)).length
}

/**
 * Waits until nothing but the agent `pid` (and its own helpers) runs in the namespace `ns`; fails
 * with what else runs there.
 */
export async function onlyAgentRuns(ns: string, pid: number, timeoutMs = 5_000): Promise<void> {
  await until(
    `only the agent ${pid} to run in ${ns}`,
    async () => (await netnsPids(ns)).join() === String(pid),
    timeoutMs,
  ).catch(async (error) => {
    throw new Error(`${(error as Error).message}: ${await processesIn(ns)}`)
  })
}

/** Whether nothing but each agent runs in its namespace now (namespace to the agent's pid). */
export async function onlyAgentsRun(agents: ReadonlyMap<string, number>): Promise<boolean> {
  for (const [ns, pid] of agents) if ((await netnsPids(ns)).join() !== String(pid)) return false
  return true
}

/**
 * What a machine's death does to its agent: the guard is stopped first (so it can neither hand the
 * addresses over nor be started again by its agent), then the agents are killed, then the guard.
 */
export async function killAgentAndGuard(
  agents: readonly AgentProcess[],
  guardPid: number | null | undefined,
) {
  if (guardPid) process.kill(guardPid, 'SIGSTOP')
  await Promise.all(agents.map((agent) => agent.kill()))
  if (guardPid) process.kill(guardPid, 'SIGKILL')
}
