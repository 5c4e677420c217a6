import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { userEnv } from './user-env.js'

export interface InstalledRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunInstalledOptions {
  readonly cwd: string
  /** Added to the user's environment (userEnv). */
  readonly env?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
}

/**
 * Runs `<prefix>/bin/<command>` (the link npm made, through its `#!/usr/bin/env node` line) as a user
 * would from a shell whose PATH starts with `<prefix>/bin`. Never rejects: the exit code is the result.
 */
export function runInstalled(
  prefix: string,
  command: string,
  args: readonly string[],
  opts: RunInstalledOptions,
): Promise<InstalledRun> {
  return new Promise((resolve) => {
    execFile(
      join(prefix, 'bin', command),
      args,
      {
        cwd: opts.cwd,
        env: { ...userEnv(prefix), ...opts.env },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr: error && code === -1 ? `${stderr}\n${error.message}` : stderr })
      },
    )
  })
}
