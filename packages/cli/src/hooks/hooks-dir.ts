import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { defaultHooksDir, parseConfig } from '@ipfo/core'

/**
 * The hooks folder: --dir, else `hooks.dir` of the config (relative to the config's folder), else the
 * platform default. A missing config file is not an error here; an invalid one is.
 */
export async function resolveHooksDir(
  flags: { dir?: string | undefined; config: string },
  platform: NodeJS.Platform = process.platform,
): Promise<string> {
  if (flags.dir) return resolve(flags.dir)
  const text = await readFile(flags.config, 'utf8').catch(() => undefined)
  if (text !== undefined) {
    const config = parseConfig(text, flags.config)
    if (config.hooks.dir) return resolve(dirname(flags.config), config.hooks.dir)
  }
  return defaultHooksDir(platform)
}
