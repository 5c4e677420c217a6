import type { ManifestCommand } from './manifest.js'

export type FlagValue = string | number | boolean
export type ValueParser = (text: string) => FlagValue | undefined

export interface Parsed {
  readonly flags: Readonly<Record<string, FlagValue>>
  readonly args: readonly string[]
}

/** oclif's Flags.integer with a minimum: undefined (oclif's error) for anything else. */
export function integerAtLeast(min: number): ValueParser {
  return (text) => {
    if (!/^-?\d+$/.test(text)) return undefined
    const n = Number.parseInt(text, 10)
    return n >= min ? n : undefined
  }
}

/**
 * A command's argv (after its id) parsed against its oclif manifest entry, as oclif parses it, or
 * undefined for anything this parser does not handle exactly as oclif would, or that oclif answers
 * with an error or help: an unknown or repeated flag (so `--help` and `-h`), `--`, bundled or
 * attached short flags (`-cfile`), a value that looks like a flag, a missing or extra argument, an
 * argument outside its options, a value its parser refuses. Option flags are strings unless `values`
 * gives a parser. Flags not given come from their `env` variable (when set and not empty), then
 * their default.
 */
export function parseArgv(
  command: ManifestCommand,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  values: Readonly<Record<string, ValueParser>> = {},
): Parsed | undefined {
  const flags: Record<string, FlagValue> = {}
  const args: string[] = []
  const byChar = new Map(Object.values(command.flags).flatMap((f) => (f.char ? [[f.char, f] as const] : [])))
  const option = (name: string, text: string | undefined): boolean => {
    if (text === undefined || text === '') return false
    const value = values[name] ? values[name](text) : text
    if (value === undefined) return false
    flags[name] = value
    return true
  }
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (!token.startsWith('-')) {
      args.push(token)
      continue
    }
    const long = token.startsWith('--')
    const eq = long ? token.indexOf('=') : -1
    const name = long ? token.slice(2, eq === -1 ? undefined : eq) : token.slice(1)
    const flag = long ? command.flags[name] : name.length === 1 ? byChar.get(name) : undefined
    if (flag === undefined || flag.name in flags) return undefined
    const inline = eq === -1 ? undefined : token.slice(eq + 1)
    if (flag.type === 'boolean') {
      if (inline !== undefined) return undefined
      flags[flag.name] = true
      continue
    }
    const text = inline ?? argv[++i]
    if (inline === undefined && text?.startsWith('-')) return undefined
    if (!option(flag.name, text)) return undefined
  }
  const defined = Object.values(command.args)
  if (args.length > defined.length) return undefined
  for (const [i, arg] of defined.entries()) {
    const given = args[i]
    if (given === undefined) {
      if (arg.required) return undefined
      continue
    }
    if (arg.options && !arg.options.includes(given)) return undefined
  }
  for (const flag of Object.values(command.flags)) {
    if (flag.name in flags) continue
    const fromEnv = flag.env === undefined ? undefined : env[flag.env]
    if (flag.type === 'option' && fromEnv) {
      if (!option(flag.name, fromEnv)) return undefined
    } else if (flag.default !== undefined) flags[flag.name] = flag.default as FlagValue
  }
  return { flags, args }
}
