import { isIP } from 'node:net'
import { stringify } from 'yaml'
import { ConfigError } from '../model/errors.js'
import { parseCidr } from '../model/ip.js'
import { CONFIG_SCHEMA_ID } from './json-schema.js'
import { readablePath } from './load.js'
import { type ConfigInput, configSchema } from './schema.js'

/**
 * Imports Apple's Mac OS X Server IP failover settings from /etc/hostconfig. The primary (heartbeatd)
 * has FAILOVER_BCAST_IPS; the secondary (failoverd) has FAILOVER_PEER_IP and FAILOVER_PEER_IP_PAIRS.
 * `notes` explain every choice Apple's model does not map one to one, for the file's comment header.
 */
export function importHostconfig(
  text: string,
  opts: { file: string; keyPath: string; node?: string; peerNode?: string },
): { config: ConfigInput; notes: string[] } {
  const vars = parseAssignments(text)
  const primary = vars.get('FAILOVER_BCAST_IPS')
  const secondary = vars.get('FAILOVER_PEER_IP') ?? vars.get('FAILOVER_PEER_IP_PAIRS')
  if (!primary && !secondary) {
    throw new ConfigError(
      `${opts.file} has no IP failover settings: expected FAILOVER_BCAST_IPS (on the primary) or FAILOVER_PEER_IP and FAILOVER_PEER_IP_PAIRS (on the secondary)`,
      {
        file: opts.file,
        hint: 'run the import on the /etc/hostconfig of a server that ran Apple IP failover',
      },
    )
  }
  if (primary && secondary) {
    throw new ConfigError(
      `${opts.file} has both FAILOVER_BCAST_IPS (the primary's key) and ${secondary.key} (the secondary's); Apple ran one role per server`,
      { file: opts.file, path: secondary.key, hint: "import a copy without the other role's keys" },
    )
  }
  const imported = primary ? fromPrimary(vars, opts) : fromSecondary(vars, opts)
  const recipient = vars.get('FAILOVER_EMAIL_RECIPIENT')?.value
  if (recipient) {
    imported.config = { ...imported.config, hooks: { emailRecipient: recipient } }
    imported.notes.push(
      `FAILOVER_EMAIL_RECIPIENT was ${recipient}: it is hooks.emailRecipient; ipfo sends mail through the email hook: run "ipfo hooks add email --address <ip> --phase PostAcq" for each address.`,
    )
  }
  imported.notes.push(
    `Both nodes need the same key: create it with "ipfo keygen ${opts.keyPath}" and copy it to the peer (mode 0600).`,
  )
  check(imported.config, opts.file)
  return imported
}

/** The config as YAML, the notes as a comment header above it. */
export function stringifyConfig(config: ConfigInput, notes: string[]): string {
  const header = [`yaml-language-server: $schema=${CONFIG_SCHEMA_ID}`, ...notes.flatMap(bullet)]
  return `${header.map((line) => `# ${line}`.trimEnd()).join('\n')}\n\n${stringify(config, { lineWidth: 0 })}`
}

interface Assignment {
  readonly key: string
  readonly value: string
  readonly line: number
}

type Vars = Map<string, Assignment>
type Options = Parameters<typeof importHostconfig>[1]
type Imported = { config: ConfigInput; notes: string[] }

const LINK_NAMES = ['private', 'public']

function fromPrimary(vars: Vars, opts: Options): Imported {
  const bcast = vars.get('FAILOVER_BCAST_IPS')!
  const targets = words(bcast)
  if (targets.length === 0)
    invalid(opts.file, bcast, 'is empty; it lists the addresses heartbeats are sent to')
  targets.forEach((target) => {
    if (!isIP(target)) invalid(opts.file, bcast, `lists "${target}", which is not an IP address`)
  })
  const peer = opts.peerNode ?? 'secondary'
  return {
    config: {
      node: opts.node ?? 'primary',
      key: opts.keyPath,
      links: targets.map((target, i) => ({ name: LINK_NAMES[i] ?? `link${i + 1}`, targets: [target] })),
      peers: [{ id: peer }],
    },
    notes: [
      `Imported from ${opts.file}: this node was Apple's IP failover primary (heartbeatd).`,
      `One link per FAILOVER_BCAST_IPS address (${targets.join(', ')}); the secondary's config needs links with the same names.`,
      `"owns" is empty: Apple's primary did not manage its public addresses, so they stay configured by the system; "${peer}" takes them over when this node fails.`,
    ],
  }
}

function fromSecondary(vars: Vars, opts: Options): Imported {
  const peerIp = vars.get('FAILOVER_PEER_IP')
  const pairs = vars.get('FAILOVER_PEER_IP_PAIRS')
  if (!peerIp || !pairs || words(pairs).length === 0) {
    const missing = peerIp ? 'FAILOVER_PEER_IP_PAIRS' : 'FAILOVER_PEER_IP'
    throw new ConfigError(
      `${opts.file} has no ${missing}: Apple's secondary needs the primary's private address in FAILOVER_PEER_IP and its public addresses in FAILOVER_PEER_IP_PAIRS ("en0:100.0.0.10 en1:100.0.1.10/24")`,
      { file: opts.file, path: missing, hint: `add ${missing} to a copy of the file and import that` },
    )
  }
  if (!isIP(peerIp.value)) invalid(opts.file, peerIp, `is "${peerIp.value}", not an IP address`)
  let maskless = false
  const takeover = words(pairs).map((pair) => {
    const colon = pair.indexOf(':')
    const parsed = parseCidr(pair.slice(colon + 1))
    if (colon < 1 || !parsed.ok) {
      invalid(opts.file, pairs, `lists "${pair}"; write interface:address[/mask], e.g. "en0:100.0.0.10"`)
    }
    maskless ||= !pair.includes('/')
    return { interface: pair.slice(0, colon), address: `${parsed.ip}/${parsed.prefix}`, ip: parsed.ip }
  })
  const publicIp = takeover[0]!.ip
  const notes = [
    `Imported from ${opts.file}: this node was Apple's IP failover secondary (failoverd).`,
    `Apple's primary sent heartbeats and the secondary only listened; in ipfo both nodes send, so this node sends to the primary's private address (FAILOVER_PEER_IP ${peerIp.value}) on "private" and to its first public address (${publicIp}) on "public". The primary's links must have the same names.`,
  ]
  if (maskless) {
    notes.push(
      "Takeover addresses written without a mask get /32: Apple's failoverd left the mask to the interface's own rules (/32 on the subnet of the interface's first address). Set the prefix if the address needs another.",
    )
  }
  return {
    config: {
      node: opts.node ?? 'secondary',
      key: opts.keyPath,
      links: [
        { name: 'private', targets: [peerIp.value] },
        { name: 'public', targets: [publicIp] },
      ],
      peers: [{ id: opts.peerNode ?? 'primary', takeover: takeover.map(({ ip: _, ...address }) => address) }],
    },
    notes,
  }
}

/** KEY=value lines as the shell reads them: quotes, comments and blank lines; a later line wins. */
function parseAssignments(text: string): Vars {
  const vars: Vars = new Map()
  text.split(/\r?\n/).forEach((raw, i) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$/.exec(raw)
    if (match) vars.set(match[1]!, { key: match[1]!, value: unquote(match[2]!), line: i + 1 })
  })
  return vars
}

/** The first shell word of `text`: "a b" and 'a b' keep their spaces, an unquoted # starts a comment. */
function unquote(text: string): string {
  let value = ''
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote === "'") {
      if (c === "'") quote = undefined
      else value += c
    } else if (c === '\\' && i + 1 < text.length && (quote === undefined || '"\\$`'.includes(text[i + 1]!))) {
      value += text[++i]
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else value += c
    } else if (c === '"' || c === "'") quote = c
    else if (/\s/.test(c) || c === '#') break
    else value += c
  }
  return value
}

function words(assignment: Assignment): string[] {
  return assignment.value.split(/\s+/).filter(Boolean)
}

function invalid(file: string, at: Assignment, problem: string): never {
  throw new ConfigError(`${file}:${at.line} ${at.key} ${problem}`, {
    file,
    path: at.key,
    hint: `fix line ${at.line} of a copy of the file and import that`,
  })
}

/** Node ids from the command line can still be wrong; say so before writing a file the agent rejects. */
function check(config: ConfigInput, file: string): void {
  const parsed = configSchema.safeParse(config)
  if (parsed.success) return
  const issues = parsed.error.issues.map((issue) => `${readablePath(issue.path)}: ${issue.message}`)
  throw new ConfigError(`the config imported from ${file} is not valid: ${issues.join('; ')}`, {
    file,
    path: readablePath(parsed.error.issues[0]!.path),
    hint: 'node ids are lower-case letters, digits, ".", "_" or "-"',
  })
}

function bullet(note: string): string[] {
  const lines: string[] = []
  for (const word of note.split(' ')) {
    const last = lines.at(-1)
    if (last !== undefined && last.length + word.length < 96) lines[lines.length - 1] = `${last} ${word}`
    else lines.push(last === undefined ? `- ${word}` : `  ${word}`)
  }
  return lines
}
