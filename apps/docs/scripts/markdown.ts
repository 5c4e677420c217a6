/**
 * Text for the generated pages. VitePress compiles every page into a Vue template, so text taken from
 * the schema or the CLI must not reach it raw: `<dir>` would open an HTML element, `*` emphasis. Text
 * goes through `text` or `code`, which write such characters as entities (`|` too, as markdown-it
 * splits table cells on it before it reads entities). Entities do not stop Vue from evaluating
 * `{{ x }}`, so `page` wraps the whole body in VitePress's `v-pre` container.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '|': '&#124;',
  '*': '&#42;',
  _: '&#95;',
  '`': '&#96;',
  '[': '&#91;',
  ']': '&#93;',
  '\\': '&#92;',
}

/** Plain text, safe anywhere in a page (paragraphs, list items, table cells), on one line. */
export function text(value: string): string {
  return value.replace(/[&<>|*_`[\]\\]/g, (c) => ENTITIES[c]!).replace(/\s*\n\s*/g, ' ')
}

/**
 * Inline code, safe anywhere in a page. A markdown code span when it can be one (markdown-it escapes
 * it and does not turn URLs in it into links); HTML for the rare value with a backtick or `|`.
 */
export function code(value: string): string {
  if (/^[^`|\n\s](?:[^`|\n]*[^`|\n\s])?$/.test(value)) return `\`${value}\``
  return `<code>${text(value)}</code>`
}

/** Paragraphs separated by blank lines stay paragraphs; single newlines join lines. */
export function paragraphs(value: string): string {
  return value
    .trim()
    .split(/\n\s*\n/)
    .map((p) => text(p.trim()))
    .join('\n\n')
}

/**
 * A fenced code block. VitePress marks fenced blocks v-pre, so only a fence inside the content needs
 * care: the fence grows past the longest run of backticks in it.
 */
export function fence(lang: string, content: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length))
  const bar = '`'.repeat(longest + 1)
  return `${bar}${lang}\n${content.replace(/\n$/, '')}\n${bar}`
}

/** A markdown table; cells are already escaped (with `text` or `code`). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c || ' ').join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * A whole generated page: a note on where it comes from (and not to edit it), the title, then the
 * body inside a `v-pre` container so that no text in it is read as a Vue expression.
 */
export function page(title: string, source: string, body: readonly string[]): string {
  return [
    `<!-- Generated from ${source} by apps/docs/scripts/generate-reference.ts on every build. Do not edit. -->`,
    '',
    `# ${title}`,
    '',
    '::: v-pre',
    '',
    ...body.flatMap((block) => [block, '']),
    ':::',
    '',
  ].join('\n')
}
