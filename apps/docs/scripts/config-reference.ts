import { Document, isMap, isNode, isSeq, parseDocument, YAMLMap } from 'yaml'
import { code, fence, page, paragraphs, table, text } from './markdown.js'

/** The parts of a JSON Schema (draft 2020-12) the reference reads. */
export interface JsonSchema {
  type?: string | string[]
  description?: string
  title?: string
  default?: unknown
  examples?: unknown[]
  enum?: unknown[]
  const?: unknown
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  $ref?: string
  $defs?: Record<string, JsonSchema>
}

/** One documented field: `links[].targets` is the `targets` of every item of `links`. */
export interface ConfigField {
  readonly path: string
  /** The keys from the top, with `[]` for "every item" and `*` for "any key". */
  readonly keys: readonly string[]
  readonly schema: JsonSchema
  readonly required: boolean
}

export interface ConfigExamples {
  /** A short config with what has no default; shown first. */
  readonly small: string
  /** A config with every section; per-field examples are taken from it. */
  readonly complete: string
}

/** Every field of the schema, depth first, in the schema's own order. */
export function configFields(root: JsonSchema): ConfigField[] {
  const resolve = (s: JsonSchema): JsonSchema => {
    if (!s.$ref) return s
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1]
    const target = name === undefined ? undefined : root.$defs?.[name]
    if (!target) throw new Error(`cannot resolve ${s.$ref} in the config schema`)
    return resolve({ ...target, ...s, $ref: undefined })
  }
  const fields: ConfigField[] = []
  const walk = (object: JsonSchema, keys: readonly string[]) => {
    for (const [name, raw] of Object.entries(object.properties ?? {})) {
      const schema = resolve(raw)
      const here = [...keys, name]
      const field = {
        path: pathOf(here),
        keys: here,
        schema,
        required: object.required?.includes(name) ?? false,
      }
      // The branches of a union (the kinds of a check) list some fields each: one field, merged.
      const seen = fields.findIndex((f) => f.path === field.path)
      if (seen === -1) fields.push(field)
      else fields[seen] = mergeFields(fields[seen] as ConfigField, field)
      for (const [child, suffix] of children(schema, resolve)) walk(child, [...here, ...suffix])
    }
  }
  walk(resolve(root), [])
  return fields
}

/**
 * One field written in several branches of a union: its allowed values together (each branch's
 * `kind`), the descriptions that differ one after the other, required only if every branch needs it.
 */
function mergeFields(first: ConfigField, other: ConfigField): ConfigField {
  const values = (s: JsonSchema) => (s.const !== undefined ? [s.const] : (s.enum ?? []))
  const all = [...new Set([...values(first.schema), ...values(other.schema)])]
  const descriptions = [first.schema.description, other.schema.description].filter(
    (d, i, list): d is string => d !== undefined && list.indexOf(d) === i,
  )
  const schema: JsonSchema = {
    ...first.schema,
    ...(all.length > 0 ? { enum: all, const: undefined } : {}),
    ...(descriptions.length > 0 ? { description: descriptions.join(' ') } : {}),
  }
  return { ...first, schema, required: first.required && other.required }
}

/** The object schemas below a field: itself, its items, its branches, its map values. */
function children(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): [JsonSchema, string[]][] {
  const out: [JsonSchema, string[]][] = []
  if (schema.properties) out.push([schema, []])
  if (schema.items)
    out.push(
      ...children(resolve(schema.items), resolve).map(([s, k]): [JsonSchema, string[]] => [s, ['[]', ...k]]),
    )
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    out.push(...children(resolve(branch), resolve))
  if (typeof schema.additionalProperties === 'object') {
    const values = resolve(schema.additionalProperties)
    out.push(...children(values, resolve).map(([s, k]): [JsonSchema, string[]] => [s, ['*', ...k]]))
  }
  return out
}

function pathOf(keys: readonly string[]): string {
  return keys.reduce((path, key) => (key === '[]' ? `${path}[]` : path ? `${path}.${key}` : key), '')
}

/** The anchor of a field's section: `links[].name` -> `links-name`. */
export function fieldAnchor(path: string): string {
  return path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}

/** A type in words: `string`, `integer`, `array of string`, `string or null`. */
export function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return `constant ${JSON.stringify(schema.const)}`
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return [...new Set(branches.map(typeOf))].join(' or ')
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  if (types.length === 0) return schema.enum ? 'enum' : 'any'
  return types
    .map((t) => (t === 'array' && schema.items ? `array of ${typeOf(schema.items)}` : t))
    .join(' or ')
}

/** The limits on a value, in words: `1 to 65535`, `matches ^[a-z]+$`, `at least 1 item`. */
export function constraintsOf(schema: JsonSchema): string[] {
  const out: string[] = []
  const { minimum: min, maximum: max } = schema
  if (min !== undefined && max !== undefined) out.push(`${min} to ${max}`)
  else if (min !== undefined) out.push(`at least ${min}`)
  else if (max !== undefined) out.push(`at most ${max}`)
  if (schema.exclusiveMinimum !== undefined) out.push(`more than ${schema.exclusiveMinimum}`)
  if (schema.exclusiveMaximum !== undefined) out.push(`less than ${schema.exclusiveMaximum}`)
  const { minLength: shortest, maxLength: longest } = schema
  if (shortest !== undefined && longest !== undefined) out.push(`${shortest} to ${longest} characters`)
  else if (shortest !== undefined) out.push(`at least ${shortest} character${shortest === 1 ? '' : 's'}`)
  else if (longest !== undefined) out.push(`at most ${longest} characters`)
  if (schema.minItems !== undefined)
    out.push(`at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`)
  if (schema.maxItems !== undefined) out.push(`at most ${schema.maxItems} items`)
  if (schema.uniqueItems) out.push('no duplicates')
  if (schema.format) out.push(`format ${schema.format}`)
  return out
}

/** The fields that neither the schema nor the complete example gives an example of. */
export function fieldsWithoutExample(schema: JsonSchema, complete: string): string[] {
  const doc = parseDocument(complete)
  return configFields(schema)
    .filter((f) => !f.schema.examples?.length && nodeAt(doc.contents, f.keys) === undefined)
    .map((f) => f.path)
}

/** The configuration reference page (reference/config.md). */
export function configReference(schema: JsonSchema, examples: ConfigExamples): string {
  const fields = configFields(schema)
  const anchors = new Map<string, string>()
  for (const field of fields) {
    const anchor = fieldAnchor(field.path)
    const taken = anchors.get(anchor)
    if (taken) throw new Error(`config fields ${taken} and ${field.path} would share the anchor #${anchor}`)
    anchors.set(anchor, field.path)
  }
  const complete = parseDocument(examples.complete)
  const link = (field: ConfigField) => `[${code(field.path)}](#${fieldAnchor(field.path)})`
  const intro = [
    paragraphs(schema.description ?? ''),
    [
      'Every field of the config file, read from its JSON Schema when the site is built.',
      `${code('ipfo config schema')} prints that schema; start a file with`,
      `${code(`$schema: ${String((schema as { $id?: string }).$id ?? '')}`)} and an editor with YAML`,
      `support completes and checks it. ${code('ipfo config check')} checks a file and`,
      `${code('ipfo config show')} prints it with every default filled in (see the [CLI reference](./cli)).`,
      schema.additionalProperties === false
        ? 'A key the schema does not list is an error, at every level.'
        : '',
    ]
      .filter(Boolean)
      .join('\n'),
    `Durations are strings with a unit, such as ${code('20ms')}, ${code('3s')} or ${code('2m')}.`,
  ]
  return page('Configuration reference', 'the JSON Schema of @ipfo/core (configJsonSchema)', [
    ...intro,
    '## Examples',
    'A small config for node "alpha" of a two-node pair: everything not written takes its default.',
    fence('yaml', examples.small),
    'The same node with every section written out:',
    fence('yaml', examples.complete),
    '## All fields',
    table(
      ['Field', 'Type', 'Default', 'Required'],
      fields.map((f) => [link(f), text(typeOf(f.schema)), defaultOf(f.schema), f.required ? 'yes' : '']),
    ),
    ...fields.map((f) => fieldSection(f, fields, complete)),
  ])
}

function fieldSection(field: ConfigField, fields: readonly ConfigField[], complete: Document): string {
  const { schema } = field
  const level = field.keys.length === 1 ? '##' : '###'
  const blocks = [`${level} ${code(field.path)} {#${fieldAnchor(field.path)}}`]
  if (schema.description) blocks.push(paragraphs(schema.description))
  const facts = [
    `Type: ${text(typeOf(schema))}`,
    field.required ? 'Required' : '',
    schema.default !== undefined ? `Default: ${defaultOf(schema)}` : '',
    schema.enum ? `Allowed values: ${schema.enum.map((v) => code(JSON.stringify(v))).join(', ')}` : '',
    schema.pattern ? `Pattern: ${code(schema.pattern)}` : '',
    ...constraintsOf(schema).map((c) => `Limits: ${text(c)}`),
    ...itemFacts(schema),
  ]
  blocks.push(
    facts
      .filter(Boolean)
      .map((f) => `- ${f}`)
      .join('\n'),
  )
  const own = childrenOf(field, fields)
  if (own.length > 0) {
    blocks.push(`Fields: ${own.map((f) => `[${code(lastKey(f))}](#${fieldAnchor(f.path)})`).join(', ')}.`)
  }
  blocks.push(...exampleBlocks(field, complete))
  return blocks.join('\n\n')
}

/** For arrays: what each item must be. */
function itemFacts(schema: JsonSchema): string[] {
  const items = schema.items
  if (!items || items.properties) return []
  const limits = constraintsOf(items)
  return [
    items.description ? `Each item: ${text(items.description)}` : '',
    items.pattern ? `Each item's pattern: ${code(items.pattern)}` : '',
    limits.length > 0 ? `Each item's limits: ${text(limits.join(', '))}` : '',
    items.enum ? `Each item one of: ${items.enum.map((v) => code(JSON.stringify(v))).join(', ')}` : '',
  ]
}

/** The fields one level below a field: `links[].name` is below `links`. */
function childrenOf(parent: ConfigField, fields: readonly ConfigField[]): ConfigField[] {
  return fields.filter((f) => {
    const rest = f.keys.slice(parent.keys.length)
    return (
      parent.keys.every((k, i) => f.keys[i] === k) &&
      rest.length > 0 &&
      rest.slice(0, -1).every((k) => k === '[]' || k === '*')
    )
  })
}

function lastKey(field: ConfigField): string {
  return field.keys[field.keys.length - 1]!
}

function defaultOf(schema: JsonSchema): string {
  return schema.default === undefined ? '' : code(JSON.stringify(schema.default))
}

function exampleBlocks(field: ConfigField, complete: Document): string[] {
  const key = lastKey(field)
  const nodes =
    field.schema.examples ?? [nodeAt(complete.contents, field.keys)].filter((n) => n !== undefined)
  if (nodes.length === 0) return []
  const rendered = nodes.map((node) => {
    const doc = new Document(new YAMLMap())
    ;(doc.contents as YAMLMap).set(key, isNode(node) ? node : doc.createNode(node))
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd()
  })
  if (rendered.every((r) => !r.includes('\n'))) return [`Example: ${rendered.map((r) => code(r)).join(', ')}`]
  return ['Example:', fence('yaml', rendered.join('\n'))]
}

/**
 * The node at a field's keys in an example config, with the style it was written in; `[]` and `*`
 * take the first item or value that has the field.
 */
function nodeAt(node: unknown, keys: readonly string[]): unknown {
  const [key, ...rest] = keys
  if (key === undefined) return node ?? undefined
  if (isSeq(node) && key === '[]') {
    return node.items.map((item) => nodeAt(item, rest)).find((n) => n !== undefined)
  }
  if (isMap(node) && key === '*') {
    return node.items.map((pair) => nodeAt(pair.value, rest)).find((n) => n !== undefined)
  }
  if (isMap(node) && key !== '[]' && key !== '*') return nodeAt(node.get(key, true), rest)
  return undefined
}
