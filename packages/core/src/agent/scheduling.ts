import { setPriority } from 'node:os'
import { type Config, MIN_PLAIN_INTERVAL_MS } from '../config/schema.js'
import { ConfigError } from '../model/errors.js'
import type { CommandRunner } from '../model/ports.js'

/** The V8 flag a real-time agent needs: its garbage collector's work stays on the loop's thread. */
export const SINGLE_THREADED_GC = '--single-threaded-gc'

/**
 * The V8 flag an agent beating faster than every 10 ms needs: no memory reducer. That V8 timer
 * collects the whole heap once the agent goes quiet after its start (about 100 s in, on both agents
 * of a pair at once), shrinking it with a compaction that held each loop 11.2 and 15.5 ms, single-threaded:
 * at 5 ms heartbeats a peer hears nothing for 16-20 ms and takes over (stress-ng windows of
 * bench:failover, ipfo-5ms-rt, under --trace-gc). Without it the heap (some 15 MB, growing well under
 * 1 MB a minute) is collected only when it fills, incrementally, with final pauses of 3-7 ms seen.
 */
export const NO_MEMORY_REDUCER = '--no-memory-reducer'

/** Below this interval (the config's least without real-time) the agent needs NO_MEMORY_REDUCER. */
const FAST_INTERVAL_MS = MIN_PLAIN_INTERVAL_MS

/**
 * Applies the config's `scheduling` to this process: a nice value, and SCHED_FIFO at a real-time
 * priority for the event loop's thread (`chrt -f -R -p`, util-linux). A setting that cannot be
 * applied stops the agent with the reason: it was asked for because timing matters.
 *
 * Only the loop's thread: the others are V8's (its optimizing compiler works on them) and libuv's
 * pool (file writes, never on the takeover path: acquires are journaled ahead). At SCHED_FIFO they
 * took both cores from the loops of two scraped agents for 15-30 ms at once, a few times a minute,
 * as V8 optimized the render (a FIFO thread is not preempted by one of equal priority; `ranMs` of
 * the loop-stalled events showed the agents busy). With the loop thread alone real-time, none
 * (bench/results/metrics-scrape-2026-12-07-rt-loop-thread.md).
 *
 * Two things keep a real-time agent from freezing the host:
 * - `-R` (reset on fork): the processes it starts (hooks, checks, the guard, helpers) run at normal
 *   priority. A hook at SCHED_FIFO that loops or just works hard would starve everything else.
 * - the agent must run with `--single-threaded-gc`. Otherwise V8 hands garbage-collection work to
 *   background threads, which under SCHED_FIFO queue behind the loop's own thread on the same core
 *   while that thread polls for them: measured here, such a Node process spun at 90-100 % of a core
 *   (bench: two guards kept both cores busy for minutes).
 */
export async function applyScheduling(
  config: Config,
  file: string,
  runner: CommandRunner,
  platform: NodeJS.Platform,
  pid: number = process.pid,
  execArgv: readonly string[] = process.execArgv,
): Promise<string[]> {
  const done = prepareScheduling(config, file, platform, pid, execArgv)
  return [...done, ...(await applyRealtime(config, file, runner, pid))]
}

/**
 * The part of `applyScheduling` an agent does before its start: checks what a real-time priority
 * needs in the config and the Node flags, and sets the nice value (checkRealtime then shows chrt can
 * be used). The real-time policy
 * comes with `applyRealtime` once the agent has started: the start is Node compiling ipfo's code,
 * a hundred milliseconds and more of work that at SCHED_FIFO held a core from the running agents'
 * loops of the same priority (two agents restarting on two cores silenced a third past deadAfter).
 */
export function prepareScheduling(
  config: Config,
  file: string,
  platform: NodeJS.Platform,
  pid: number = process.pid,
  execArgv: readonly string[] = process.execArgv,
): string[] {
  const done: string[] = []
  const { nice, realtimePriority } = config.scheduling
  // V8 takes its flags with - or _ alike.
  const flags = execArgv.map((f) => f.replace(/_/g, '-'))
  const fast = config.interval < FAST_INTERVAL_MS
  // The flags the agent needs and lacks, all named in one hint: a fix for one must not undo another.
  const needed = [
    ...(realtimePriority !== undefined &&
    !flags.includes(SINGLE_THREADED_GC) &&
    !flags.includes('--single-threaded')
      ? [SINGLE_THREADED_GC]
      : []),
    ...(fast && !flags.includes(NO_MEMORY_REDUCER) ? [NO_MEMORY_REDUCER] : []),
  ]
  const startAs = `start the agent as \`node ${[NO_MEMORY_REDUCER, SINGLE_THREADED_GC].join(' ')} $(command -v ipfo) agent\` (as the unit \`ipfo service install\` writes does; run it again for a unit written by an older release)`
  // Everything a real-time priority needs is checked before anything is applied: never half done.
  if (realtimePriority !== undefined && platform !== 'linux') {
    throw new ConfigError(`${file}: scheduling.realtimePriority is Linux-only`, {
      file,
      path: 'scheduling.realtimePriority',
      hint: fast
        ? `an interval under ${FAST_INTERVAL_MS}ms needs it: make interval ${FAST_INTERVAL_MS}ms or more, then remove it (or use scheduling.nice)`
        : 'remove it, or use scheduling.nice',
    })
  }
  if (needed.includes(SINGLE_THREADED_GC)) {
    throw new ConfigError(
      `${file}: scheduling.realtimePriority: this agent runs without ${SINGLE_THREADED_GC}; under SCHED_FIFO, V8's background GC threads wait behind the agent's own thread and the agent spins at 100 % of a core`,
      {
        file,
        path: 'scheduling.realtimePriority',
        hint: `${startAs}, or remove scheduling.realtimePriority`,
      },
    )
  }
  if (needed.includes(NO_MEMORY_REDUCER)) {
    throw new ConfigError(
      `${file}: interval ${config.interval}ms: this agent runs with V8's memory reducer, which about 100 s after the start collects the heap in one pause of 11-16 ms, long enough at this interval for a peer to take over from this live node`,
      { file, path: 'interval', hint: `${startAs}, or make interval ${FAST_INTERVAL_MS}ms or more` },
    )
  }
  if (nice !== undefined) {
    try {
      setPriority(pid, nice)
      done.push(`nice ${nice}`)
    } catch (error) {
      throw new ConfigError(
        `${file}: scheduling.nice: cannot set nice ${nice}: ${(error as Error).message}`,
        {
          file,
          path: 'scheduling.nice',
          hint: 'a negative nice value needs root (or CAP_SYS_NICE)',
        },
      )
    }
  }
  return done
}

/**
 * Before the start: shows that SCHED_FIFO can be had (chrt is there, the agent may use it) by taking
 * it and going back to normal priority at once, so that a config asking for it fails before anything
 * is claimed or said to peers, not after.
 */
export async function checkRealtime(
  config: Config,
  file: string,
  runner: CommandRunner,
  pid: number = process.pid,
): Promise<void> {
  if (config.scheduling.realtimePriority === undefined) return
  await applyRealtime(config, file, runner, pid)
  await runner.run('chrt', ['-o', '-p', '0', String(pid)])
}

/** SCHED_FIFO for the loop's thread, when the config asks for it (checked by prepareScheduling). */
export async function applyRealtime(
  config: Config,
  file: string,
  runner: CommandRunner,
  pid: number = process.pid,
): Promise<string[]> {
  const { realtimePriority } = config.scheduling
  const done: string[] = []
  if (realtimePriority !== undefined) {
    // The thread whose id is the process's: the event loop's.
    const args = ['-f', '-R', '-p', String(realtimePriority), String(pid)]
    const result = await runner.run('chrt', args)
    if (result.exitCode !== 0) {
      throw new ConfigError(
        `${file}: scheduling.realtimePriority: chrt ${args.join(' ')} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`,
        {
          file,
          path: 'scheduling.realtimePriority',
          hint: 'run the agent as root (or with CAP_SYS_NICE); chrt is in util-linux',
        },
      )
    }
    done.push(`SCHED_FIFO ${realtimePriority}`)
  }
  return done
}
