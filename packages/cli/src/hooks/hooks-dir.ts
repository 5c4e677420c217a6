import { dirname, resolve } from 'node:path'
import { defaultHooksDir } from '@ipfo/core/hooks-layout'
import { peekConfigFile } from '../config/agent-paths.js'

/**
 * The hooks folder: --dir, else `hooks.dir` of the config (relative to the config's folder, read
 * without the schema), else the platform default. A missing config file is not an error here; one
 * that does not parse, or whose hooks.dir is not a string, is.
 */
export async function resolveHooksDir(
  flags: { dir?: string | undefined; config: string },
  platform: NodeJS.Platform = process.platform,
): Promise<string> {
  if (flags.dir) return resolve(flags.dir)
  const dir = await peekConfigFile(flags.config, ['hooks', 'dir'])
  if (dir) return resolve(dirname(flags.config), dir)
  return defaultHooksDir(platform)
}
