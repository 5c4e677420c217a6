import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Output } from '../everyday/output.js'
import { reportError } from '../everyday/report-error.js'
import { FAST_COMMANDS, type FastCommand } from './commands.js'
import { type Manifest, type ManifestCommand, unsupported } from './manifest.js'
import { type Parsed, parseArgv } from './parse-argv.js'

type Env = Readonly<Record<string, string | undefined>>

/** Hooks oclif runs around a command: a plugin with one of these needs oclif to run the command. */
const COMMAND_HOOKS = ['init', 'preparse', 'prerun', 'postrun', 'finally']

interface PackageJson {
  readonly version?: string
  readonly oclif?: {
    readonly hooks?: Readonly<Record<string, unknown>>
    readonly plugins?: readonly string[]
    readonly theme?: unknown
    readonly topicSeparator?: string
  }
}

export interface Planned {
  readonly command: FastCommand
  readonly entry: ManifestCommand
  readonly parsed: Parsed
}

/**
 * The everyday command an argv runs, parsed, when the fast path can run it exactly as oclif would;
 * undefined ("not mine": oclif runs it, unchanged) otherwise: no manifest (a repository checkout),
 * a manifest of another version, a hook that runs around commands, a user's plugins or theme,
 * oclif's own variables (DEBUG, IPFO_DEBUG, IPFO_CONTENT_TYPE, its folders), a command or flag the
 * parser does not fully support, or argv it would not parse exactly as oclif does.
 */
export function plan(argv: readonly string[], root: string, env: Env): Planned | undefined {
  const words = argv[0] === 'config' || argv[0] === 'hooks' ? 2 : 1
  const id = argv.slice(0, words).join(':')
  const command = FAST_COMMANDS.find((c) => c.id === id)
  if (command === undefined) return undefined
  const manifest = readJson<Manifest>(join(root, 'oclif.manifest.json'))
  const pjson = readJson<PackageJson>(join(root, 'package.json'))
  if (manifest === undefined || pjson === undefined || manifest.version !== pjson.version) return undefined
  if (!plainOclif(pjson, root, env)) return undefined
  const entry = manifest.commands[id]
  if (entry === undefined || unsupported(entry).length > 0) return undefined
  const parsed = parseArgv(entry, argv.slice(words), env, command.values)
  if (parsed === undefined || command.toOclif.some((name) => parsed.flags[name] === true)) return undefined
  return { command, entry, parsed }
}

/** Runs a planned command: its output, and its error as IpfoCommand.catch reports it. Returns the exit code. */
export async function runPlanned({ command, entry, parsed }: Planned): Promise<number> {
  const json = entry.enableJsonFlag === true && parsed.flags.json === true
  // As oclif's log: silent under --json.
  const out: Output = { json, log: (text) => (json ? undefined : process.stdout.write(`${text}\n`)) }
  const logJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  try {
    const result = await command.run(parsed.flags, parsed.args, out)
    // As oclif prints a command's return value under --json (its logJson, no theme).
    if (json && result) logJson(result)
    return 0
  } catch (error) {
    return reportError(error instanceof Error ? error : new Error(String(error)), {
      json,
      logJson,
      stderr: (text) => process.stderr.write(text),
    })
  }
}

/** bin/run.js's entry: the exit code, or undefined when oclif must run the command. */
export async function runFast(argv: readonly string[], env: Env = process.env): Promise<number | undefined> {
  const planned = plan(argv, fileURLToPath(new URL('../../', import.meta.url)), env)
  return planned === undefined ? undefined : runPlanned(planned)
}

/** No hook, theme, user plugin or oclif variable that would change how oclif runs a command. */
function plainOclif(pjson: PackageJson, root: string, env: Env): boolean {
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

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T
  } catch {
    return undefined
  }
}
