/**
 * One string field of a config file's text, read without the schema: what the CLI's everyday
 * commands need (`paths.socket`, `hooks.dir`), so they start without loading zod.
 *
 * - A text without the field's name anywhere: undefined, and no parser is loaded at all.
 * - A JSON file (it starts with `{`): `JSON.parse`.
 * - Otherwise YAML, parsed without the schema.
 *
 * A text that does not parse, or sets the field to something other than a string, is refused with
 * the ConfigError of the full check (`parseConfig`, loaded only then), so the message is the one
 * `ipfo config check` gives. The rest of the file is not validated.
 */
export async function peekConfigField(
  text: string,
  file: string,
  path: readonly [string, string],
): Promise<string | undefined> {
  const [section, key] = path
  if (!text.includes(key)) return undefined
  const data = (await parsed(text)) ?? (await refuse(text, file))
  const value = field(field(data, section), key)
  if (value === undefined || value === null) return undefined
  return typeof value === 'string' ? value : refuse(text, file)
}

function field(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)[name]
    : undefined
}

/** The text's data, or undefined when it does not parse. */
async function parsed(text: string): Promise<unknown> {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      // Not strict JSON: YAML, which the agent reads JSON with, has the last word.
    }
  }
  const { parseDocument } = await import('./yaml-document.js')
  const doc = parseDocument(text)
  if (doc.errors.length > 0) return undefined
  try {
    return doc.toJS() as unknown
  } catch {
    return undefined
  }
}

/** Throws the full check's ConfigError for this text. */
async function refuse(text: string, file: string): Promise<never> {
  const { parseConfig } = await import('./load.js')
  parseConfig(text, file)
  // The schema accepted what the peek could not read: say so rather than guess a field.
  throw new Error(`${file}: the config passes the schema but could not be read without it`)
}
