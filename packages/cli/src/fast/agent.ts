import { fileURLToPath } from 'node:url'
import { DEFAULT_CONFIG } from '../config/agent-paths.js'
import type { AgentFlags } from '../runtime/run-agent.js'
import { type Env, type PackageJson, plainOclif, readJson } from './plain-oclif.js'
import { runBody } from './run-body.js'

/**
 * The flags of `ipfo agent` (commands/agent.ts) that this parser takes: their oclif names, and
 * whether they take a value. --debug and --help are left to oclif. test/fast-agent.test.ts checks
 * these against the command's own flags.
 */
export const AGENT_FAST_FLAGS = {
  config: { char: 'c', value: true },
  'simulate-addresses': { value: true },
  json: { value: false },
} as const satisfies Record<string, { char?: string; value: boolean }>

type FlagName = keyof typeof AGENT_FAST_FLAGS

export interface AgentArgv extends AgentFlags {
  readonly json: boolean
}

/**
 * `ipfo agent`'s argv (after `agent`) as oclif would parse it, or undefined for anything this parser
 * does not take exactly as oclif does: an unknown or repeated flag (so --help, --debug), an
 * argument, `--`, a short flag with its value attached (`-cfile`), a missing or empty value, a
 * value that looks like a flag.
 */
export function parseAgentArgv(argv: readonly string[]): AgentArgv | undefined {
  const given = new Map<FlagName, string | true>()
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    const long = token.startsWith('--')
    const eq = long ? token.indexOf('=') : -1
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token === '-c' ? 'config' : undefined
    if (name === undefined || !(name in AGENT_FAST_FLAGS) || given.has(name as FlagName)) return undefined
    const flag = name as FlagName
    if (!AGENT_FAST_FLAGS[flag].value) {
      if (eq !== -1) return undefined
      given.set(flag, true)
      continue
    }
    const value = eq === -1 ? argv[++i] : token.slice(eq + 1)
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('-'))) return undefined
    given.set(flag, value)
  }
  const text = (flag: FlagName) => {
    const value = given.get(flag)
    return typeof value === 'string' ? value : undefined
  }
  return {
    config: text('config') ?? DEFAULT_CONFIG,
    simulateAddresses: text('simulate-addresses'),
    json: given.get('json') === true,
  }
}

/** A warning as oclif's Command.warn prints it (unwrapped: the agent's stderr is a log). */
export function warningText(message: string): string {
  return `${message
    .split('\n')
    .map((line, i) => ` ›   ${i === 0 ? 'Warning: ' : ''}${line}`)
    .join('\n')}\n`
}

/**
 * bin/run.js's entry for `ipfo agent`: runs the agent without loading oclif (its CLI framework is
 * some 15 MB of a running agent's memory, and most of its start-up), and returns the exit code; or
 * undefined, having done nothing, when oclif must run it: argv this parser does not take, or a
 * hook, theme, plugin or variable that changes how oclif runs commands. Unlike the everyday
 * commands' fast path it needs no manifest: the agent's flags are few and fixed.
 */
export async function runAgentFast(
  argv: readonly string[],
  env: Env = process.env,
): Promise<number | undefined> {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const pjson = readJson<PackageJson>(`${root}package.json`)
  if (pjson === undefined || !plainOclif(pjson, root, env)) return undefined
  const parsed = parseAgentArgv(argv)
  if (parsed === undefined) return undefined
  const { json } = parsed
  return runBody(json, async () => {
    const { runAgent } = await import('../runtime/run-agent.js')
    // As oclif's warn: silent under --json.
    return runAgent(parsed, (m) => (json ? undefined : process.stderr.write(warningText(m))))
  })
}
