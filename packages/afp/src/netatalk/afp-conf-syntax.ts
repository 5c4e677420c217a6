/**
 * The line grammar of Netatalk's afp.conf, as afpd's ini parser reads it:
 * - a physical line whose text ends in `\` (after trailing whitespace) continues on the next one;
 * - a logical line is blank, a comment (first non-blank character `;` or `#`), a `[section]` header,
 *   or `name = value` where only the first `=` counts;
 * - a value in double or single quotes is taken verbatim up to the closing quote; an unquoted value
 *   ends at the first `;` or `#` (an inline comment) and is trimmed.
 * Everything here is pure; `afp-conf.ts` builds the editable document on top of it.
 */

/** The parts of a `name = value` line, kept as written so an edit can change only the value. */
export interface ParamParts {
  readonly indent: string
  /** The name as written, trimmed (`vol dbpath`). */
  readonly name: string
  readonly beforeEquals: string
  readonly afterEquals: string
  /** The value as written, quotes included. */
  readonly valueText: string
  /** The value as afpd reads it: unquoted, inline comment dropped. */
  readonly value: string
  /** What follows the value: an inline comment, text after a closing quote, trailing whitespace. */
  readonly trailing: string
}

interface EntryBase {
  /** 1-based number of the entry's first physical line in the parsed text; 0 for lines added by an edit. */
  readonly line: number
  /** The entry's exact text, continuation line breaks included, final line break excluded. */
  readonly raw: string
  /** The line break that ends the entry: `\n`, `\r\n`, or `` for a last line without one. */
  readonly eol: string
}

export type AfpConfEntry =
  | (EntryBase & { readonly kind: 'blank' | 'comment' })
  | (EntryBase & { readonly kind: 'section'; readonly name: string })
  | AfpConfParamEntry

export type AfpConfParamEntry = EntryBase &
  ParamParts & {
    readonly kind: 'param'
    /** The enclosing section's name as written in its header; `` before the first header. */
    readonly section: string
  }

/** One line as afpd sees it once continuations are joined. */
export interface LogicalLine {
  readonly line: number
  readonly raw: string
  readonly eol: string
  /** The joined text afpd classifies. */
  readonly content: string
}

/** Split text into logical lines, keeping every byte so that joining `raw + eol` gives the text back. */
export function logicalLines(text: string): LogicalLine[] {
  const physical = physicalLines(text)
  const result: LogicalLine[] = []
  for (let i = 0; i < physical.length; i++) {
    const first = i
    let content = ''
    let raw = ''
    while (i < physical.length - 1 && physical[i]!.text.trimEnd().endsWith('\\')) {
      content += physical[i]!.text.trimEnd().slice(0, -1)
      raw += physical[i]!.text + physical[i]!.eol
      i++
    }
    const last = physical[i]!
    result.push({ line: first + 1, raw: raw + last.text, eol: last.eol, content: content + last.text })
  }
  return result
}

function physicalLines(text: string): { text: string; eol: string }[] {
  const lines: { text: string; eol: string }[] = []
  let start = 0
  while (start < text.length) {
    const newline = text.indexOf('\n', start)
    if (newline === -1) {
      lines.push({ text: text.slice(start), eol: '' })
      break
    }
    const crlf = newline > start && text[newline - 1] === '\r'
    lines.push({ text: text.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n' })
    start = newline + 1
  }
  return lines
}

/**
 * Classify one logical line; undefined when it is none of the four kinds (afpd refuses the file).
 * `section` is the header name in force, recorded on parameters.
 */
export function classifyLine(logical: LogicalLine, section: string): AfpConfEntry | undefined {
  const { line, raw, eol, content } = logical
  const stripped = content.trim()
  if (stripped === '') return { kind: 'blank', line, raw, eol }
  if (stripped.startsWith(';') || stripped.startsWith('#')) return { kind: 'comment', line, raw, eol }
  if (stripped.startsWith('[') && stripped.endsWith(']')) {
    const name = stripped.slice(1, stripped.indexOf(']')).trim()
    if (name !== '') return { kind: 'section', line, raw, eol, name }
  }
  const parts = paramParts(content)
  return parts && { kind: 'param', line, raw, eol, section, ...parts }
}

/** Split `name = value` into its parts, or undefined when the line is not a parameter. */
export function paramParts(content: string): ParamParts | undefined {
  const equals = content.indexOf('=')
  if (equals === -1) return undefined
  const left = content.slice(0, equals)
  const name = left.trim()
  if (name === '') return undefined
  const indent = left.slice(0, left.length - left.trimStart().length)
  const beforeEquals = left.slice(indent.length + name.length)
  const right = content.slice(equals + 1)
  const rest = right.trimStart()
  const afterEquals = right.slice(0, right.length - rest.length)
  return { indent, name, beforeEquals, afterEquals, ...splitValue(rest) }
}

function splitValue(rest: string): Pick<ParamParts, 'valueText' | 'value' | 'trailing'> {
  const quote = rest[0]
  if ((quote === '"' || quote === "'") && rest.length > 1 && rest[1] !== quote) {
    const close = rest.indexOf(quote, 1)
    // afpd takes an unclosed quote up to the end of the line.
    const valueText = close === -1 ? rest.trimEnd() : rest.slice(0, close + 1)
    const value = close === -1 ? valueText.slice(1) : rest.slice(1, close)
    return { valueText, value, trailing: rest.slice(valueText.length) }
  }
  const cut = rest.search(/[;#]/)
  const valueText = (cut === -1 ? rest : rest.slice(0, cut)).trimEnd()
  const value = valueText === '""' || valueText === "''" ? '' : valueText
  return { valueText, value, trailing: rest.slice(valueText.length) }
}

/**
 * How to write `value` so afpd reads it back unchanged: plain when it can be, otherwise in quotes
 * (the quote style already on the line when there is one). Undefined when no quoting can carry it.
 */
export function writeValue(value: string, previousValueText = ''): string | undefined {
  const previousQuote = previousValueText[0]
  const wasQuoted = (previousQuote === '"' || previousQuote === "'") && previousValueText.length > 1
  const needsQuotes =
    value !== value.trim() || /[;#]/.test(value) || /^["']/.test(value) || value.endsWith('\\')
  if (!wasQuoted && !needsQuotes) return value
  if (value === '') return '""'
  const quotes = wasQuoted ? [previousQuote!, previousQuote === '"' ? "'" : '"'] : ['"', "'"]
  const quote = quotes.find((q) => !value.includes(q))
  return quote === undefined ? undefined : `${quote}${value}${quote}`
}

/** Render a parameter line with a new value, keeping indentation, spacing and any trailing comment. */
export function renderParam(parts: ParamParts, valueText: string): string {
  const afterEquals = parts.afterEquals === '' && parts.valueText === '' ? ' ' : parts.afterEquals
  const trailing =
    parts.valueText === '' && parts.trailing !== '' && !/^\s/.test(parts.trailing)
      ? ` ${parts.trailing}`
      : parts.trailing
  return `${parts.indent}${parts.name}${parts.beforeEquals}=${afterEquals}${valueText}${trailing}`
}

/** The form names are compared in: case and runs of whitespace do not matter. */
export function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}
