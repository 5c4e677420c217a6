import type { CliCommand, CliManifest } from './cli-manifest.js'
import { code, fence, page, paragraphs, table, text } from './markdown.js'

type Flag = CliCommand['flags'][string]
type Arg = CliCommand['args'][string]

/** The anchor of a command's section: `afp reconnect-key set` -> `ipfo-afp-reconnect-key-set`. */
export function commandAnchor(bin: string, id: string): string {
  return `${bin} ${id}`.toLowerCase().replace(/[^a-z0-9]+/g, '-')
}

/** The CLI reference page (reference/cli.md) for a manifest. */
export function cliReference(manifest: CliManifest): string {
  const { bin, commands, topics } = manifest
  const link = (id: string) => `[${code(`${bin} ${id}`)}](#${commandAnchor(bin, id)})`
  const intro = [
    `Every command of ${code(bin)} ${text(manifest.version)}, read from the CLI's oclif manifest when`,
    `the site is built. ${code(`${bin} <command> --help`)} prints the same for one command;`,
    `${code(`${bin} --version`)} prints the installed version. The config file that many commands`,
    'read is described in the [configuration reference](./config).',
  ].join('\n')
  const index = table(
    ['Command', 'Summary'],
    commands.map((c) => [link(c.id), text(summaryOf(c, manifest))]),
  )
  const topicTable = table(
    ['Topic', 'Description', 'Commands'],
    topics.map((t) => [
      code(`${bin} ${t.name}`),
      text(t.description),
      commands
        .filter((c) => c.id.startsWith(`${t.name} `))
        .map((c) => link(c.id))
        .join(', '),
    ]),
  )
  return page('CLI reference', `the oclif manifest of ${manifest.name}`, [
    intro,
    '## Commands',
    index,
    '## Topics',
    `A topic groups commands: ${code(`${bin} <topic> --help`)} lists its commands.`,
    topicTable,
    ...commands.map((c) => commandSection(c, manifest)),
  ])
}

function commandSection(command: CliCommand, manifest: CliManifest): string {
  const { bin } = manifest
  const fill = (s: string) => template(s, bin, command.id)
  const blocks = [`## ${bin} ${command.id} {#${commandAnchor(bin, command.id)}}`]
  const summary = summaryOf(command, manifest)
  if (summary) blocks.push(`**${text(summary)}**`)
  if (command.description && command.description !== command.summary) {
    blocks.push(paragraphs(fill(command.description)))
  }
  const notes = [
    command.pluginName && command.pluginName !== manifest.name
      ? `From the ${code(command.pluginName)} plugin.`
      : '',
    command.state ? `State: ${text(command.state)}.` : '',
    command.aliases.length > 0 ? `Aliases: ${command.aliases.map((a) => code(a)).join(', ')}.` : '',
  ].filter(Boolean)
  if (notes.length > 0) blocks.push(notes.join(' '))
  blocks.push('### Usage', fence('text', usageOf(command, bin).join('\n')))
  const args = Object.values(command.args)
  if (args.length > 0) blocks.push('### Arguments', argTable(args))
  const flags = Object.values(command.flags)
  if (flags.length > 0) blocks.push('### Flags', flagTable(flags))
  const examples = command.examples ?? []
  if (examples.length > 0)
    blocks.push('### Examples', fence('sh', examples.map((e) => example(e, fill)).join('\n')))
  return blocks.join('\n\n')
}

function summaryOf(command: CliCommand, manifest: CliManifest): string {
  const first = command.summary ?? command.description?.split('\n')[0] ?? ''
  return template(first, manifest.bin, command.id)
}

/** oclif's usage line: the custom `usage` if the command has one, else id, args and flags. */
function usageOf(command: CliCommand, bin: string): string[] {
  if (command.usage !== undefined) {
    const usages = Array.isArray(command.usage) ? command.usage : [command.usage]
    return usages.map((u) => `${bin} ${template(u, bin, command.id)}`)
  }
  const args = Object.values(command.args).map((a) => (a.required ? argName(a) : `[${argName(a)}]`))
  const flags = Object.values(command.flags).map((f) => (f.required ? flagUsage(f) : `[${flagUsage(f)}]`))
  return [[bin, command.id, ...args, ...flags].join(' ')]
}

function argName(arg: Arg): string {
  return arg.name.toUpperCase()
}

function flagUsage(flag: Flag): string {
  const name = flag.type === 'boolean' && flag.allowNo ? `--[no-]${flag.name}` : `--${flag.name}`
  const label = flag.char ? `-${flag.char}` : name
  if (flag.type === 'boolean') return label
  const value = flag.options ? `${flag.options.join('|')}` : 'value'
  return `${label} <${value}>${flag.multiple ? '...' : ''}`
}

function argTable(args: readonly Arg[]): string {
  return table(
    ['Argument', 'Description', 'Default', 'Values'],
    args.map((a) => [
      `${code(argName(a))}${a.required ? ' (required)' : ''}`,
      text(a.description ?? ''),
      a.default === undefined ? '' : code(String(a.default)),
      (a.options ?? []).map((o) => code(o)).join(', '),
    ]),
  )
}

function flagTable(flags: readonly Flag[]): string {
  return table(
    ['Flag', 'Description', 'Default', 'Values'],
    flags.map((f) => [
      [f.char ? code(`-${f.char}`) : '', code(flagLabel(f))].filter(Boolean).join(', ') +
        (f.required ? ' (required)' : ''),
      [f.summary ?? f.description ?? '', ...flagNotes(f)].map(text).filter(Boolean).join('<br>'),
      defaultOf(f),
      f.type === 'option' ? (f.options ?? []).map((o) => code(o)).join(', ') : '',
    ]),
  )
}

function flagLabel(flag: Flag): string {
  if (flag.type === 'boolean') return flag.allowNo ? `--[no-]${flag.name}` : `--${flag.name}`
  return `--${flag.name} <${flag.options ? 'option' : 'value'}>${flag.multiple ? '...' : ''}`
}

/** What the parser enforces beyond the flag's own value. */
function flagNotes(flag: Flag): string[] {
  const list = (names: readonly string[] | undefined) => (names ?? []).map((n) => `--${n}`).join(', ')
  return [
    flag.type === 'option' && flag.multiple ? 'Can be given more than once.' : '',
    flag.env ? `Also read from the environment variable ${flag.env}.` : '',
    flag.dependsOn?.length ? `Needs ${list(flag.dependsOn)}.` : '',
    flag.exclusive?.length ? `Not with ${list(flag.exclusive)}.` : '',
    flag.exactlyOne?.length ? `Exactly one of ${list([flag.name, ...flag.exactlyOne])}.` : '',
    flag.relationships?.length ? 'Restricted in combination with other flags (see --help).' : '',
  ].filter(Boolean)
}

function defaultOf(flag: Flag): string {
  const value: unknown = flag.default
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return ''
  if (flag.type === 'boolean' && value === false) return ''
  return code(Array.isArray(value) ? value.join(', ') : String(value))
}

function example(entry: NonNullable<CliCommand['examples']>[number], fill: (s: string) => string): string {
  const lines = (s: string) =>
    fill(s)
      .split('\n')
      .map((line) => line.replace(/^\$ /, ''))
      .join('\n')
  if (typeof entry === 'string') return lines(entry)
  return `# ${fill(entry.description).replace(/\n/g, '\n# ')}\n${lines(entry.command)}`
}

/** oclif's help templates: `<%= config.bin %>` and `<%= command.id %>`; anything else is an error. */
function template(value: string, bin: string, id: string): string {
  const out = value.replace(/<%=\s*config\.bin\s*%>/g, bin).replace(/<%=\s*command\.id\s*%>/g, id)
  if (out.includes('<%')) throw new Error(`unsupported oclif help template in "${value}" (ipfo ${id})`)
  return out
}
