import { execFile } from 'node:child_process'
import type { CommandResult, CommandRunner } from '../ports.js'

/** Runs commands with execFile: no shell, output captured, killed at the timeout. */
export const systemCommandRunner: CommandRunner = {
  run(command, args, opts = {}) {
    return new Promise<CommandResult>((resolve) => {
      execFile(
        command,
        [...args],
        { timeout: opts.timeoutMs ?? 10_000, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
            resolve({ exitCode: null, signal: null, stdout: '', stderr: `${command} is not installed (not found in PATH)` })
            return
          }
          const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0
          resolve({ exitCode, signal: error?.signal ?? null, stdout, stderr })
        },
      )
    })
  },
}
