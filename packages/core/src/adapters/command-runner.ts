import { execFile } from 'node:child_process'
import type { CommandResult, CommandRunner } from '../model/ports.js'

/** A command that runs longer than this without its own `timeoutMs` is killed: a hung `ip` must not stall a failover. */
export const DEFAULT_TIMEOUT_MS = 10_000
/** Output beyond this is cut off and the command killed; address commands print a few kilobytes. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024

type ExecError = Error & { code?: number | string | null; signal?: NodeJS.Signals | null; killed?: boolean }

/**
 * Runs commands with `execFile`: no shell, so an address or interface name is never read as shell
 * syntax. Failures come back as a result, never as an exception; when the command did not simply exit
 * non-zero (not installed, timed out), a line on stderr says why, so logs and errors explain it.
 */
export const systemCommandRunner: CommandRunner = {
  run(command, args, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    return new Promise<CommandResult>((resolve) => {
      execFile(
        command,
        [...args],
        {
          encoding: 'utf8',
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: MAX_OUTPUT_BYTES,
          // Callers match messages such as "File exists"; a translated locale would hide them.
          env: { ...process.env, LC_ALL: 'C' },
        },
        (error: ExecError | null, stdout, stderr) => {
          if (error === null) {
            resolve({ exitCode: 0, signal: null, stdout, stderr })
            return
          }
          resolve({
            exitCode: typeof error.code === 'number' ? error.code : null,
            signal: error.signal ?? null,
            stdout,
            stderr: stderr + whyItFailed(command, error, timeoutMs),
          })
        },
      )
    })
  },
}

function whyItFailed(command: string, error: ExecError, timeoutMs: number): string {
  if (error.code === 'ENOENT') return `${command} is not installed (not found in PATH)\n`
  if (error.code === 'EACCES') return `${command} cannot be run: permission denied\n`
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return `${command} printed more than ${MAX_OUTPUT_BYTES} bytes and was killed\n`
  }
  if (error.killed && error.signal === 'SIGKILL')
    return `${command} timed out after ${timeoutMs} ms and was killed\n`
  if (typeof error.code === 'number' || error.signal) return ''
  return `${command} could not be run: ${error.message}\n`
}
