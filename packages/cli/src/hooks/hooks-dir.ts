import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseConfig } from '@ipfo/core'

/** Where hook folders live when neither --dir nor the config's hooks.dir says: Apple's tree on macOS. */
export function defaultHooksDir(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? '/Library/IPFailover' : '/etc/ipfo/hooks'
}

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
    const config = parseConfig(text, flags.config) as unknown as { hooks?: { dir?: string } }
    if (config.hooks?.dir) return resolve(dirname(flags.config), config.hooks.dir)
  }
  return defaultHooksDir(platform)
}
