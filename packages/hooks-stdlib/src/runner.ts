import type { CommandResult, CommandRunner } from '@ipfo/core'
import { $ } from 'zx'

/**
 * The real runner of stdlib hooks' commands (`mount`, `systemctl`, `logger`): core's CommandRunner
 * (so the RecordingRunner of @ipfo/testkit fits hooks' tests) over zx's `$`, which quotes every
 * argument, quiet and without throwing.
 */
export function zxRunner(defaults: { timeoutMs?: number } = {}): CommandRunner {
  return {
    async run(command, args, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? defaults.timeoutMs ?? 60_000
      const shell = $({
        nothrow: true,
        quiet: true,
        timeout: `${timeoutMs}ms`,
        killSignal: 'SIGKILL',
        env: { ...process.env, LC_ALL: 'C' },
      })
      const out = await shell`${command} ${args}`
      return { exitCode: out.exitCode, signal: out.signal, stdout: out.stdout, stderr: out.stderr }
    },
  }
}

/** One line for a note or an error: `mount -t tmpfs x /mnt failed (exit 32): <stderr>`. */
export function describeFailure(command: string, args: readonly string[], result: CommandResult): string {
  const how = result.exitCode === null ? `signal ${result.signal ?? 'unknown'}` : `exit ${result.exitCode}`
  const why = result.stderr.trim() || result.stdout.trim()
  return `${[command, ...args].join(' ')} failed (${how})${why ? `: ${why}` : ''}`
}
