/** The parts of an oclif.manifest.json command entry the fast path reads. */
export interface ManifestFlag {
  readonly name: string
  readonly type: 'boolean' | 'option'
  readonly char?: string
  readonly env?: string
  readonly default?: unknown
  readonly [key: string]: unknown
}

export interface ManifestArg {
  readonly name: string
  readonly required?: boolean
  readonly options?: readonly string[]
  readonly [key: string]: unknown
}

export interface ManifestCommand {
  readonly id: string
  readonly flags: Readonly<Record<string, ManifestFlag>>
  readonly args: Readonly<Record<string, ManifestArg>>
  readonly strict?: boolean
  readonly enableJsonFlag?: boolean
  readonly [key: string]: unknown
}

export interface Manifest {
  readonly version: string
  readonly commands: Readonly<Record<string, ManifestCommand>>
}

// What the fast parser knows how to honour exactly as oclif does; any other key (aliases, multiple,
// allowNo, options, relationships, required flags, deprecation, a dynamic default) sends the command
// to oclif.
const FLAG_KEYS: Readonly<Record<string, (value: unknown) => boolean>> = {
  name: () => true,
  type: (v) => v === 'boolean' || v === 'option',
  char: (v) => typeof v === 'string' && v.length === 1,
  env: (v) => typeof v === 'string',
  default: (v) => typeof v === 'string' || typeof v === 'number',
  description: () => true,
  summary: () => true,
  helpGroup: () => true,
  hidden: () => true,
  multiple: (v) => v === false,
  allowNo: (v) => v === false,
  hasDynamicHelp: (v) => v === false,
}
const ARG_KEYS: Readonly<Record<string, (value: unknown) => boolean>> = {
  name: () => true,
  description: () => true,
  required: (v) => typeof v === 'boolean',
  options: (v) => Array.isArray(v) && v.every((o) => typeof o === 'string'),
}
const COMMAND_KEYS: Readonly<Record<string, (value: unknown) => boolean>> = {
  id: () => true,
  flags: () => true,
  args: () => true,
  strict: (v) => v === true,
  enableJsonFlag: (v) => typeof v === 'boolean',
  aliases: () => true,
  hiddenAliases: () => true,
  description: () => true,
  summary: () => true,
  examples: () => true,
  usage: () => true,
  hidden: () => true,
  hasDynamicHelp: (v) => v === false,
  pluginAlias: () => true,
  pluginName: () => true,
  pluginType: () => true,
  isESM: () => true,
  relativePath: () => true,
}

/** What in a command's manifest entry the fast parser does not support (empty: all of it). */
export function unsupported(command: ManifestCommand): string[] {
  const bad = (where: string, record: object, keys: typeof FLAG_KEYS) =>
    Object.entries(record)
      .filter(([key, value]) => !keys[key]?.(value))
      .map(([key, value]) => `${where}${key}=${JSON.stringify(value)}`)
  return [
    ...bad('', command, COMMAND_KEYS),
    ...Object.values(command.flags).flatMap((f) => [
      ...bad(`--${f.name} `, f, FLAG_KEYS),
      // oclif reads a boolean's variable as truthy text; the fast parser reads variables of options only.
      ...(f.type === 'boolean' && f.env !== undefined ? [`--${f.name} env=${f.env}`] : []),
    ]),
    ...Object.values(command.args).flatMap((a) => bad(`<${a.name}> `, a, ARG_KEYS)),
  ]
}
