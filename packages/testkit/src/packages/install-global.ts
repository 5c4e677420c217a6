import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { npmEnv } from './user-env.js'

const run = promisify(execFile)

/** npm's codes for a registry it could not reach. */
const UNREACHABLE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH)\b/

export interface GlobalInstallOptions {
  /** The fresh folder to install into (`npm install -g --prefix`). */
  readonly prefix: string
  /** The registry of the scope's packed packages (scopedRegistry's url). */
  readonly registryUrl: string
  /** What a user would type after `npm install -g`, e.g. `@ipfo/cli`. */
  readonly spec: string
  readonly scope?: string
}

/**
 * `npm install -g` exactly as a user types it, into a fresh prefix: the scope's packages from the
 * local registry, everything else from the configured registry, the cache first (`--prefer-offline`).
 * When that registry cannot be reached, one more try with `--offline` (all from the cache). npm's
 * warnings on stderr (allow-scripts, deprecations) are not failures; its exit code is.
 */
export async function installGlobal(opts: GlobalInstallOptions): Promise<{ stdout: string; stderr: string }> {
  const args = [
    'install',
    '-g',
    '--prefix',
    opts.prefix,
    `--${opts.scope ?? '@ipfo'}:registry=${opts.registryUrl}`,
    '--no-audit',
    '--no-fund',
    opts.spec,
  ]
  const npm = (mode: string) =>
    run('npm', [...args, mode], { cwd: opts.prefix, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 })
  try {
    return await npm('--prefer-offline')
  } catch (error) {
    const first = error as Error & { stderr?: string }
    if (!UNREACHABLE.test(first.stderr ?? '')) throw installError(opts, first)
    return npm('--offline').catch((second: Error & { stderr?: string }) => {
      throw installError(opts, second, 'the registry was unreachable and the npm cache lacks some packages')
    })
  }
}

function installError(opts: GlobalInstallOptions, error: Error & { stderr?: string }, why?: string): Error {
  return new Error(
    `npm install -g ${opts.spec} into ${opts.prefix} failed${why ? ` (${why})` : ''}:\n${error.stderr ?? error.message}`,
    { cause: error },
  )
}
