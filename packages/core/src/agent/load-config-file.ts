import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { readKeyFile } from '../adapters/key-file.js'
import { formatIssues, lineOf, parseConfig } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { heartbeatRoomIssues } from '../engine/heartbeat-room.js'
import { ConfigError } from '../model/errors.js'
import { checkFilesIssues } from './check-files.js'

/** For `ipfo config check`'s summary of the endpoint, from the same small bundle as the check. */
export { isLoopbackHost, parseListen } from '../config/metrics-schema.js'

/**
 * Reads, validates and completes the agent's config file: `key` is resolved against the config file's
 * folder (so a config and its key can move together) and the key itself is read and checked, so a
 * missing or readable-by-others key stops the agent before it sends anything.
 */
export interface LoadedConfig {
  readonly config: Config
  readonly key: Buffer
  readonly acceptedKeys: Buffer[]
}

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new ConfigError(`config file ${file} not found`, {
        file,
        hint: 'pass --config with the right path; to start from an Apple server, run "ipfo config import-hostconfig"; every field is in the docs and in "ipfo config schema"',
        cause: error,
      })
    }
    throw new ConfigError(`config file ${file} cannot be read (${error.code ?? error.message})`, {
      file,
      hint: 'run ipfo as root, or give it a config file it can read',
      cause: error,
    })
  })
  const parsed = parseConfig(text, file)
  const config = {
    ...parsed,
    key: resolve(dirname(file), parsed.key),
    acceptKeys: parsed.acceptKeys.map((k) => resolve(dirname(file), k)),
  }
  const readAt = (path: string, field: string) =>
    readKeyFile(path).catch((error: unknown) => {
      if (!(error instanceof ConfigError)) throw error
      throw new ConfigError(`${error.message} (the "${field}" of ${file})`, {
        file,
        path: field,
        ...(error.hint !== undefined && { hint: error.hint }),
        cause: error,
      })
    })
  const fileIssues = [...heartbeatRoomIssues(config), ...(await checkFilesIssues(config))]
  if (fileIssues.length > 0) {
    const issues = fileIssues.map((issue) => {
      const line = lineOf(text, pathKeys(issue.path))
      return line === undefined ? issue : { ...issue, line }
    })
    throw new ConfigError(formatIssues(file, issues), { file, path: issues[0]?.path })
  }
  const key = await readAt(config.key, 'key')
  const acceptedKeys = await Promise.all(config.acceptKeys.map((k, i) => readAt(k, `acceptKeys[${i}]`)))
  return { config, key, acceptedKeys }
}

/** `checks.web.argv[0]` -> ['checks', 'web', 'argv', 0]. */
function pathKeys(path: string): (string | number)[] {
  return path.split(/\.|(?=\[)/).map((part) => (part.startsWith('[') ? Number(part.slice(1, -1)) : part))
}
