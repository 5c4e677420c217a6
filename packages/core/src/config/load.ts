import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../model/errors.js'
import { type Config, configSchema } from './schema.js'

/** One thing wrong with a config file: where it is and what to do about it. */
export interface ConfigIssue {
  /** The field, e.g. `peers[0].takeover[1].address`; empty for the file as a whole. */
  readonly path: string
  /** 1-based, when the file has a node for the field (or for its nearest written parent). */
  readonly line?: number
  readonly col?: number
  readonly message: string
}

export type ConfigCheck = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] }

type Keys = readonly PropertyKey[]

/** Issues without a line (fields not written at all) sort after the rest. */
const LAST = Number.MAX_SAFE_INTEGER

/**
 * Parses and validates a config file's text (YAML, or JSON, which YAML reads too). Throws one
 * ConfigError listing every problem, so a sysadmin fixes them all in one pass.
 */
export function parseConfig(text: string, file: string): Config {
  const result = checkConfig(text)
  if (result.ok) return result.config
  throw new ConfigError(formatIssues(file, result.issues), {
    file,
    path: result.issues[0]?.path || undefined,
    hint: '"ipfo config schema" prints every field with its meaning',
  })
}

/** Like parseConfig, but returns the issues as data (for `--json` and editors). */
export function checkConfig(text: string): ConfigCheck {
  const lines = new LineCounter()
  const doc = parseDocument(text, { prettyErrors: true, lineCounter: lines })
  if (doc.errors.length > 0) return { ok: false, issues: doc.errors.map(syntaxIssue) }
  let data: unknown
  try {
    data = doc.toJS()
  } catch (error) {
    // toJS refuses alias bombs and the like; the document itself parsed.
    return { ok: false, issues: [{ path: '', message: (error as Error).message }] }
  }
  // jitless: a config is parsed once per start or reload, so zod's generated fast path (it writes
  // and compiles a parser per object schema, some 8 ms of `ipfo config check`) never pays back.
  const parsed = configSchema.safeParse(data, { reportInput: true, jitless: true })
  if (parsed.success) return { ok: true, config: parsed.data }
  const issues = parsed.error.issues.flatMap(explain).map(({ keys, message }) => {
    const at = positionOf(doc.contents, keys)
    const where = at === undefined ? {} : { line: lines.linePos(at).line }
    return { path: readablePath(keys), ...where, message }
  })
  return { ok: false, issues: issues.sort((a, b) => (a.line ?? LAST) - (b.line ?? LAST)) }
}

/** `"<file>: 2 problems"`, then one `  <file>:<line> <path>: <message>` line per issue. */
export function formatIssues(file: string, issues: readonly ConfigIssue[]): string {
  const head = `${file}: ${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}`
  const body = issues.map((issue) => {
    const where = issue.line === undefined ? file : `${file}:${issue.line}${issue.col ? `:${issue.col}` : ''}`
    const field = issue.path ? `${issue.path}: ` : ''
    return `  ${where} ${field}${issue.message.replaceAll('\n', '\n    ')}`
  })
  return [head, ...body].join('\n')
}

/** `['peers', 0, 'takeover', 1, 'address']` -> `peers[0].takeover[1].address`. */
export function readablePath(keys: Keys): string {
  return keys
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`
      const text = String(key)
      if (!/^[A-Za-z_$][\w$-]*$/.test(text)) return `[${JSON.stringify(text)}]`
      return i === 0 ? text : `.${text}`
    })
    .join('')
}

/** The 1-based line of a field in a config file's text (or of its nearest written parent). */
export function lineOf(text: string, keys: Keys): number | undefined {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  const at = positionOf(doc.contents, keys)
  return at === undefined ? undefined : lines.linePos(at).line
}

function syntaxIssue(error: YAMLError): ConfigIssue {
  // prettyErrors appends " at line L, column C:" and the source line with a caret; we keep the caret.
  const [head = '', ...context] = error.message.split('\n')
  const message = [head.replace(/ at line \d+, column \d+:?$/, ''), ...context.filter((l) => l.trim())]
  const pos = error.linePos?.[0]
  return { path: '', ...(pos && { line: pos.line, col: pos.col }), message: message.join('\n') }
}

/**
 * The offset of the deepest written node on the path: the key for map entries, the item for lists.
 * None for a top-level field that is not written at all: the start of the file would mislead.
 */
function positionOf(root: unknown, keys: Keys): number | undefined {
  let node = root
  let at = keys.length === 0 ? rangeStart(root) : undefined
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key))
      if (!pair) break
      at = rangeStart(pair.key) ?? at
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key]
      at = rangeStart(node) ?? at
    } else break
  }
  return at
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range
  return range?.[0]
}

/** Turns one zod issue into sysadmin-facing issues (an unknown-keys issue becomes one per key). */
function explain(issue: z.core.$ZodIssue): { keys: Keys; message: string }[] {
  const keys = issue.path
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = Object.keys(fieldAt(keys)?.shape ?? {})
      return issue.keys.map((key) => ({ keys: [...keys, key], message: unknownKey(key, known) }))
    }
    case 'invalid_type':
      return [{ keys, message: wrongType(issue.expected, issue.input, keys) }]
    case 'invalid_value':
      return [{ keys, message: notOneOf(issue.input, issue.values) }]
    case 'invalid_union': {
      // A union keyed on a field (a check's or coordination's "kind") whose key matches no branch.
      const { discriminator, options } = issue as { discriminator?: string; options?: unknown[] }
      if (discriminator === undefined || options === undefined) return [{ keys, message: issue.message }]
      const value = (issue.input as Record<string, unknown> | undefined)?.[discriminator]
      if (value === undefined) {
        const list = options.map((v) => JSON.stringify(v)).join(', ')
        return [
          {
            keys,
            message: `missing; write one of ${list}, e.g. \`${discriminator}: ${String(options[0])}\``,
          },
        ]
      }
      return [{ keys, message: notOneOf(value, options) }]
    }
    case 'too_small':
      return [{ keys, message: tooSmall(issue) }]
    case 'too_big': {
      const what = issue.origin === 'string' ? `${issue.maximum} characters` : `${issue.maximum}`
      return [{ keys, message: `${show(issue.input)} is too big; the most is ${what}` }]
    }
    case 'invalid_format':
      return [{ keys, message: `${show(issue.input)} does not fit: ${issue.message}` }]
    default:
      return [{ keys, message: issue.message }]
  }
}

function notOneOf(input: unknown, values: readonly unknown[]): string {
  const options = values.map((v) => JSON.stringify(v)).join(', ')
  if (input == null) return `is empty; write one of ${options}`
  const guess = typeof input === 'string' ? closest(input, values.map(String)) : undefined
  const mean = guess ? `; did you mean "${guess}"?` : ''
  return `${show(input)} is not one of ${options}${mean}`
}

function unknownKey(key: string, known: string[]): string {
  const guess = closest(key, known)
  if (guess) return `unknown key "${key}"; did you mean "${guess}"?`
  return known.length > 0
    ? `unknown key "${key}"; the keys here are ${known.join(', ')}`
    : `unknown key "${key}"`
}

/** What to write for each required field, keyed by the field's own name. */
const EXAMPLES: Record<string, string> = {
  node: 'node: alpha',
  key: 'key: /etc/ipfo/heartbeat.key',
  links: 'links: [{ name: private, targets: [10.0.0.255] }]',
  name: 'name: private',
  targets: 'targets: [10.0.0.255]',
  id: 'id: beta',
  interface: 'interface: eth0',
  address: 'address: 192.168.1.100/24',
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
}

function wrongType(expected: string, input: unknown, keys: Keys): string {
  const field = fieldAt(keys)
  const want = TYPE_NAMES[expected] ?? expected
  if (keys.length === 0) {
    const got = input == null ? 'an empty file' : show(input)
    return `expected ${want} of settings, got ${got}; a config needs at least node, key and links`
  }
  if (input === undefined) {
    const example = EXAMPLES[String(keys.at(-1))]
    const about = field?.description ? ` ${field.description}` : ''
    return `missing.${about}${example ? ` Add e.g. \`${example}\`.` : ''}`
  }
  const base = input === null ? `is empty; expected ${want}` : `expected ${want}, got ${show(input)}`
  if (typeof input === 'string' && (expected === 'number' || expected === 'int') && input.trim() !== '') {
    if (Number.isFinite(Number(input))) return `${base}; write ${input.trim()} without quotes`
  }
  if (expected === 'string' && typeof input === 'number' && field?.description?.includes('A duration')) {
    return `${base}; add a unit, e.g. "${input}s" or "${input}ms"`
  }
  if (expected === 'string' && typeof input === 'number' && keys.join('.') === 'metrics.listen') {
    return `${base}; write an address and the port, quoted: "127.0.0.1:${input}"`
  }
  if (expected === 'array' && input !== null && typeof input !== 'object') {
    return `${base}; write a list, e.g. [${String(input)}]`
  }
  return base
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  const min = Number(issue.minimum)
  if (issue.origin === 'array') return `must list at least ${min} ${min === 1 ? 'item' : 'items'}`
  if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters`
  const bound = issue.inclusive === false ? `more than ${min}` : `at least ${min}`
  return `${show(issue.input)} is too small; it must be ${bound}`
}

function show(value: unknown): string {
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  return 'a mapping'
}

/** The schema of the field at `keys`, seen through defaults, optionals and transforms. */
function fieldAt(keys: Keys): { shape?: Record<string, unknown>; description?: string } | undefined {
  let schema: unknown = configSchema
  let description: string | undefined
  for (const key of [...keys, undefined]) {
    description = undefined
    for (;;) {
      if (schema instanceof z.ZodType) description ??= schema.description
      if (schema instanceof z.ZodPipe) schema = schema.in
      else if (
        schema instanceof z.ZodDefault ||
        schema instanceof z.ZodPrefault ||
        schema instanceof z.ZodOptional ||
        schema instanceof z.ZodNullable
      )
        schema = schema.unwrap()
      else if (schema instanceof z.ZodUnion) schema = branchesAsOne(schema.options)
      else break
    }
    if (key === undefined) break
    if (schema instanceof z.ZodObject) schema = schema.shape[String(key)]
    else if (schema instanceof z.ZodArray && typeof key === 'number') schema = schema.element
    else return undefined
  }
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>) : undefined
  return { ...(shape && { shape }), ...(description && { description }) }
}

/** The object branches of a union (the kinds of coordination) as one object: every key any branch has. */
function branchesAsOne(options: readonly unknown[]): unknown {
  const objects = options.filter((o): o is z.ZodObject => o instanceof z.ZodObject)
  if (objects.length === 0) return undefined
  return z.object(Object.assign({}, ...objects.map((o) => o.shape)))
}

/** The known word nearest to a typo, if it is near enough to be the likely intent. */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: { word: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (!best || distance < best.distance) best = { word: candidate, distance }
  }
  return best && best.distance <= Math.max(1, Math.floor(word.length / 3)) ? best.word : undefined
}

/** Levenshtein distance with adjacent transpositions, so "tagrets" is one step from "targets". */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const row = d[i]!
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1)
      }
    }
  }
  return d[a.length]![b.length]!
}
