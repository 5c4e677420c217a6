import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export type Env = Readonly<Record<string, string | undefined>>

/** Hooks oclif runs around a command: a plugin with one of these needs oclif to run the command. */
const COMMAND_HOOKS = ['init', 'preparse', 'prerun', 'postrun', 'finally']

export interface PackageJson {
  readonly version?: string
  readonly oclif?: {
    readonly hooks?: Readonly<Record<string, unknown>>
    readonly plugins?: readonly string[]
    readonly theme?: unknown
    readonly topicSeparator?: string
  }
}

/** No hook, theme, user plugin or oclif variable that would change how oclif runs a command. */
export function plainOclif(pjson: PackageJson, root: string, env: Env): boolean {
  const oclif = pjson.oclif ?? {}
  if ((oclif.topicSeparator ?? ':') !== ' ' || oclif.theme !== undefined) return false
  for (const name of [
    'DEBUG',
    'IPFO_DEBUG',
    'IPFO_CONTENT_TYPE',
    'IPFO_CONFIG_DIR',
    'IPFO_DATA_DIR',
    'IPFO_CACHE_DIR',
  ])
    if (env[name] !== undefined) return false
  if (hasCommandHooks(oclif.hooks)) return false
  for (const plugin of oclif.plugins ?? []) {
    const manifest = pluginPackage(root, plugin)
    if (manifest === undefined || hasCommandHooks(manifest.oclif?.hooks)) return false
  }
  // A user's theme (colours in --json output) and plugins installed for this user (oclif's folders).
  const home = env.HOME || homedir()
  const configDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'ipfo')
  const dataDir = join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'ipfo')
  return !existsSync(join(configDir, 'theme.json')) && !existsSync(join(dataDir, 'package.json'))
}

function hasCommandHooks(hooks: Readonly<Record<string, unknown>> | undefined): boolean {
  return Object.keys(hooks ?? {}).some((hook) => COMMAND_HOOKS.includes(hook))
}

/** A plugin's package.json, found as Node finds the package from the CLI's folder. */
function pluginPackage(root: string, name: string): PackageJson | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    const found = readJson<PackageJson>(join(dir, 'node_modules', name, 'package.json'))
    if (found !== undefined || dirname(dir) === dir) return found
  }
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return undefined
  }
}
