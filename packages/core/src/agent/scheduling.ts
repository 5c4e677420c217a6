import { setPriority } from 'node:os'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../model/errors.js'
import type { CommandRunner } from '../model/ports.js'

/**
 * Applies the config's `scheduling` to this process: a nice value, and SCHED_FIFO at a real-time
 * priority for every thread (`chrt -a -f -p`, util-linux). A setting that cannot be applied stops
 * the agent with the reason: it was asked for because timing matters.
 */
export async function applyScheduling(
  config: Config,
  file: string,
  runner: CommandRunner,
  platform: NodeJS.Platform,
  pid: number = process.pid,
): Promise<string[]> {
  const done: string[] = []
  const { nice, realtimePriority } = config.scheduling
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
  if (realtimePriority !== undefined) {
    if (platform !== 'linux') {
      throw new ConfigError(`${file}: scheduling.realtimePriority is Linux-only`, {
        file,
        path: 'scheduling.realtimePriority',
        hint: 'remove it, or use scheduling.nice',
      })
    }
    const args = ['-a', '-f', '-p', String(realtimePriority), String(pid)]
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
