import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Output } from '../everyday/output.js'
import { FAST_COMMANDS, type FastCommand } from './commands.js'
import { type Manifest, type ManifestCommand, unsupported } from './manifest.js'
import { type Parsed, parseArgv } from './parse-argv.js'
import { type Env, type PackageJson, plainOclif, readJson } from './plain-oclif.js'
import { runBody } from './run-body.js'

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
  return runBody(json, () => command.run(parsed.flags, parsed.args, out))
}

/** bin/run.js's entry: the exit code, or undefined when oclif must run the command. */
export async function runFast(argv: readonly string[], env: Env = process.env): Promise<number | undefined> {
  const planned = plan(argv, fileURLToPath(new URL('../../', import.meta.url)), env)
  return planned === undefined ? undefined : runPlanned(planned)
}
