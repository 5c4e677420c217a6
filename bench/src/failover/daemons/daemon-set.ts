import { execFile } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type OutputLine, ProcessGroup } from '../process-group.js'
import type { NodeName, Stage } from '../stage.js'

/**
 * The daemons of one system on a stage, one per node: a is configured to hold the VIP, b to take it
 * over (and c after b, with three nodes). Each daemon runs as its own process group inside its
 * node's namespace.
 */
export interface Daemons {
  /** The stage's nodes, a first. */
  readonly nodes: readonly NodeName[]
  start(node: NodeName): void
  /** What a reboot of the node clears (its /run): stale pid files and sockets of the killed daemon. */
  forgetRuntime(node: NodeName): Promise<void>
  /** kill -9 of the node's daemon and everything it forked into its process group. */
  kill(node: NodeName): Promise<void>
  /**
   * The whole machine dies: `kill` and, as well, what the daemon started outside its process group
   * to outlive it (ipfo's guard, in a session of its own).
   */
  killMachine(node: NodeName): Promise<void>
  /**
   * The machine stops dead, at once: SIGSTOP to the daemon's group and to the groups in `outside`
   * (found beforehand with `outliving`, so that nothing is started or read between the cut and the
   * stop). Nothing of the node runs or sends again; `killMachine` ends them later. A dead machine's
   * CPU is not the survivors': killed at once, the processes' teardown (tens of MB to unmap) would
   * run on the cores the taker, its service and the client share on this one host.
   */
  freezeMachine(node: NodeName, outside: readonly number[]): void
  /** The process groups of what the daemon runs outside its own group (ipfo's guard), for its cost. */
  outliving(node: NodeName): Promise<number[]>
  /** The node's daemon process group, while it runs. */
  group(node: NodeName): ProcessGroup | undefined
  /** The output of the node's latest daemon, running or not. */
  log(node: NodeName): readonly OutputLine[]
  /**
   * When the node's daemon logged that it takes the VIP, at or after `since` (wall clock, ms): any
   * daemon the node ran, so a takeover is still found after the node died and rebooted.
   */
  decidedAt(node: NodeName, since: number): number | undefined
  killAll(): Promise<void>
}

/** The daemons from the command that runs each node's daemon and the log line that says "I take it". */
export function daemonSet(
  stage: Stage,
  system: string,
  command: (node: NodeName) => readonly string[],
  takesOver: RegExp,
  runtimeFiles: (node: NodeName) => readonly string[] = () => [],
  /** The command line of a process the daemon leaves running outside its group (ipfo's guard). */
  outlives?: RegExp,
): Daemons {
  const groups: Partial<Record<NodeName, ProcessGroup>> = {}
  /** Every daemon each node ran, the latest last. */
  const ran: Partial<Record<NodeName, ProcessGroup[]>> = {}
  /** The process groups, in the node's namespace, of processes whose command line `outlives` matches. */
  const outside = async (node: NodeName): Promise<number[]> => {
    if (!outlives) return []
    const found = new Set<number>()
    for (const pid of await netnsPids(stage.ns(node))) {
      const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
      if (outlives.test(argv.replace(/\0/g, ' ')) && pgid > 0) found.add(pgid)
    }
    return [...found]
  }
  /** The outside groups each node's freeze stopped (freezeMachine): its kill needs no new search. */
  const frozen: Partial<Record<NodeName, readonly number[]>> = {}
  const killMachine = async (node: NodeName): Promise<void> => {
    // The outside groups first, or together: a frozen guard holds the daemon's output open, and the
    // daemon's group counts as exited only once its output closes.
    const others = frozen[node] ?? (await outside(node))
    delete frozen[node]
    const dying = groups[node]?.kill()
    for (const pgid of others) {
      ProcessGroup.frozen.delete(pgid)
      try {
        process.kill(-pgid, 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
    await dying
  }
  // Daemons find `node`, `ip` and `arping` on PATH: put this Node first, keep the sbin directories.
  const env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/sbin:/usr/bin'}`,
  }
  return {
    nodes: stage.nodes,
    start(node) {
      const group = new ProcessGroup(
        `${system}-${node}`,
        ['ip', 'netns', 'exec', stage.ns(node), ...command(node)],
        { env },
      )
      groups[node] = group
      ran[node] = [...(ran[node] ?? []), group]
    },
    async forgetRuntime(node) {
      await Promise.all(runtimeFiles(node).map((file) => rm(file, { force: true })))
    },
    async kill(node) {
      await groups[node]?.kill()
    },
    killMachine,
    freezeMachine(node, outsideGroups) {
      frozen[node] = outsideGroups
      groups[node]?.signal('SIGSTOP')
      for (const pgid of outsideGroups) {
        ProcessGroup.frozen.add(pgid)
        try {
          process.kill(-pgid, 'SIGSTOP')
        } catch {
          // Gone already.
        }
      }
    },
    outliving: (node) => outside(node),
    group: (node) => (groups[node]?.running ? groups[node] : undefined),
    log: (node) => groups[node]?.lines ?? [],
    decidedAt: (node, since) => {
      const line = (ran[node] ?? []).map((g) => g.lineAfter(takesOver, since)).find((l) => l !== undefined)
      return line === undefined ? undefined : (ownStamp(line.text) ?? line.at)
    },
    async killAll() {
      // A node left frozen (a node death) is killed as a machine: its guard holds its daemon's output
      // open. The others' daemons alone, as ever: a running guard ends itself once its agent is gone.
      await Promise.all(stage.nodes.map((node) => (frozen[node] ? killMachine(node) : groups[node]?.kill())))
    },
  }
}

/**
 * The time a daemon wrote on its own line (ipfo's JSON log: `"time":"<ISO>"`, to the millisecond),
 * if any. Read from the pipe, a line is stamped when the benchmark gets to it, which on a busy
 * machine is milliseconds after the daemon decided; keepalived's and ucarp's lines carry no time
 * finer than a second, so theirs stay the time they were read.
 */
export function ownStamp(text: string): number | undefined {
  const match = /"time":"(\d{4}-\d\d-\d\dT[^"]+Z)"/.exec(text)
  if (!match) return undefined
  const at = Date.parse(match[1]!)
  return Number.isFinite(at) ? at : undefined
}

function netnsPids(ns: string): Promise<string[]> {
  return new Promise((resolve) =>
    execFile('ip', ['netns', 'pids', ns], (_, stdout) =>
      resolve(String(stdout).split(/\s+/).filter(Boolean)),
    ),
  )
}
