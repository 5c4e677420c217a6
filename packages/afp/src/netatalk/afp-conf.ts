import { ConfigError } from '@ipfo/core/errors'
import {
  type AfpConfEntry,
  type AfpConfParamEntry,
  classifyLine,
  logicalLines,
  nameKey,
  paramParts,
  renderParam,
  writeValue,
} from './afp-conf-syntax.js'

/** afpd keeps at most this many bytes of `signature`. */
export const MAX_SIGNATURE_LENGTH = 16

/** A volume section: one with a `path` that is neither [Global] nor [Homes]; others are presets. */
export interface AfpConfVolume {
  readonly section: string
  readonly path: string
}

/**
 * A parsed afp.conf that renders back byte for byte and edits without disturbing comments,
 * blank lines, line endings or unrelated sections. Edits return a new document.
 *
 * Section and parameter names are matched without regard to case or runs of whitespace: Netatalk
 * 3.x documents them as case sensitive, Netatalk 4.2+ lowercases them, so matching loosely finds a
 * setting whichever version wrote the file. A section may appear more than once; afpd merges the
 * blocks and the last value of a parameter wins, so `get` and `set` use the last one.
 */
export class AfpConfDocument {
  constructor(
    readonly entries: readonly AfpConfEntry[],
    readonly file: string,
  ) {}

  /** The value afpd reads for `name` in `section`, or undefined when the file does not set it. */
  get(section: string, name: string): string | undefined {
    return this.param(section, name)?.value
  }

  /** The line that sets `name` in `section` (the last one, which wins). */
  param(section: string, name: string): AfpConfParamEntry | undefined {
    return this.entries.findLast(isParam(section, name))
  }

  /** Every parameter in the file, in order; `include` lines among them. */
  params(): AfpConfParamEntry[] {
    return this.entries.filter((e): e is AfpConfParamEntry => e.kind === 'param')
  }

  /** Section names in order of first appearance, spelled as first written. */
  sections(): string[] {
    const seen = new Map<string, string>()
    for (const e of this.entries)
      if (e.kind === 'section' && !seen.has(nameKey(e.name))) seen.set(nameKey(e.name), e.name)
    return [...seen.values()]
  }

  hasSection(section: string): boolean {
    return this.entries.some((e) => e.kind === 'section' && nameKey(e.name) === nameKey(section))
  }

  /** The shared volumes and their paths, in file order. */
  volumes(): AfpConfVolume[] {
    return this.sections()
      .filter((s) => !['global', 'homes'].includes(nameKey(s)))
      .flatMap((section) => {
        const path = this.get(section, 'path')
        return path === undefined ? [] : [{ section, path }]
      })
  }

  /**
   * Set `name` in `section`. An existing line keeps its indentation, spacing and trailing comment;
   * a new one goes after the section's last parameter; a missing section is appended to the file.
   * Setting the value a parameter already has returns this document unchanged.
   */
  set(section: string, name: string, value: string): AfpConfDocument {
    this.validate(section, name, value)
    const existing = this.entries.findLastIndex(isParam(section, name))
    if (existing !== -1) {
      const entry = this.entries[existing] as AfpConfParamEntry
      if (entry.value === value) return this
      const valueText = this.written(section, name, value, entry.valueText)
      const entries = [...this.entries]
      entries[existing] = { ...entry, raw: renderParam(entry, valueText), valueText, value }
      return new AfpConfDocument(entries, this.file)
    }
    const header = this.entries.findLastIndex(
      (e) => e.kind === 'section' && nameKey(e.name) === nameKey(section),
    )
    return header === -1 ? this.appendSection(section, name, value) : this.insertInto(header, name, value)
  }

  /** Remove every line that sets `name` in `section`, so no earlier one takes over. */
  remove(section: string, name: string): AfpConfDocument {
    const matches = isParam(section, name)
    if (!this.entries.some(matches)) return this
    const entries: AfpConfEntry[] = []
    for (const e of this.entries) {
      if (!matches(e)) entries.push(e)
      // Keep a file that ended without a line break that way.
      else if (e.eol === '' && entries.length > 0) entries.push({ ...entries.pop()!, eol: '' })
    }
    return new AfpConfDocument(entries, this.file)
  }

  /** The file's text: exactly the parsed text when nothing was changed. */
  render(): string {
    return this.entries.map((e) => e.raw + e.eol).join('')
  }

  private validate(section: string, name: string, value: string): void {
    const path = `${section}.${name}`
    const refuse = (message: string, hint: string) => {
      throw new ConfigError(`${this.file}: ${message}`, { file: this.file, path, hint })
    }
    if (/[\r\n]/.test(section + name + value))
      refuse(`${path} contains a line break`, 'give a one-line value')
    if (section.trim() === '' || section.includes(']'))
      refuse(`"${section}" is not a section name`, 'use a name like Global or the volume name, without ]')
    if (paramParts(`${name} = x`)?.name !== name.trim() || /^[;#[]/.test(name.trim()))
      refuse(`"${name}" is not a parameter name`, 'use a name like signature or vol dbpath')
    if (nameKey(section) === 'global' && nameKey(name) === 'signature') {
      const bytes = new TextEncoder().encode(value).length
      if (bytes === 0 || bytes > MAX_SIGNATURE_LENGTH)
        refuse(
          `signature "${value}" is ${bytes} bytes long; afpd keeps 1 to ${MAX_SIGNATURE_LENGTH}`,
          'use up to 16 letters and digits, the same on both nodes',
        )
    }
  }

  private written(section: string, name: string, value: string, previous?: string): string {
    const text = writeValue(value, previous)
    if (text === undefined)
      throw new ConfigError(`${this.file}: the value of ${section}.${name} contains both kinds of quote`, {
        file: this.file,
        path: `${section}.${name}`,
        hint: 'afp.conf cannot carry a value with both " and \' that also needs quoting; drop one of them',
      })
    return text
  }

  private insertInto(header: number, name: string, value: string): AfpConfDocument {
    const sectionName = (this.entries[header] as { name: string }).name
    let end = this.entries.findIndex((e, i) => i > header && e.kind === 'section')
    if (end === -1) end = this.entries.length
    let lastParam = -1
    for (let i = header + 1; i < end; i++) if (this.entries[i]!.kind === 'param') lastParam = i
    let at = lastParam + 1
    if (lastParam === -1) {
      // No parameters yet: stay with the header and the comment lines glued to it.
      at = header + 1
      while (at < end && this.entries[at]!.kind === 'comment') at++
    }
    const reference = lastParam === -1 ? undefined : (this.entries[lastParam] as AfpConfParamEntry)
    const indent = reference?.indent ?? this.params()[0]?.indent ?? ''
    const entries = [...this.entries]
    insertLine(entries, at, this.newParam(sectionName, indent, name, value), this.lineBreak())
    return new AfpConfDocument(entries, this.file)
  }

  private appendSection(section: string, name: string, value: string): AfpConfDocument {
    const entries = [...this.entries]
    const eol = this.lineBreak()
    if (entries.length > 0 && entries.at(-1)!.kind !== 'blank')
      insertLine(entries, entries.length, line('blank', ''), eol)
    insertLine(entries, entries.length, { ...line('section', `[${section}]`), name: section }, eol)
    const indent = this.params()[0]?.indent ?? ''
    insertLine(entries, entries.length, this.newParam(section, indent, name, value), eol)
    return new AfpConfDocument(entries, this.file)
  }

  private newParam(section: string, indent: string, name: string, value: string): AfpConfParamEntry {
    const valueText = this.written(section, name, value)
    const parts = {
      indent,
      name: name.trim(),
      beforeEquals: ' ',
      afterEquals: ' ',
      valueText,
      value,
      trailing: '',
    }
    return { ...line('param', renderParam(parts, valueText)), section, ...parts }
  }

  /** The line break new lines get: the file's own, LF for a file that has none yet. */
  private lineBreak(): string {
    return this.entries.find((e) => e.eol !== '')?.eol ?? '\n'
  }
}

/**
 * Parse afp.conf text. `file` names the file in error messages.
 * @throws ConfigError naming `file:line` when a line is neither comment, section nor parameter.
 */
export function parseAfpConf(text: string, file = 'afp.conf'): AfpConfDocument {
  const entries: AfpConfEntry[] = []
  let section = ''
  for (const logical of logicalLines(text)) {
    const entry = classifyLine(logical, section)
    if (!entry) {
      throw new ConfigError(
        `${file}:${logical.line}: "${logical.content.trim()}" is not a comment, a [section] or a name = value line`,
        {
          file,
          ...(section === '' ? {} : { path: section }),
          hint: 'start the line with ; or # to make it a comment, or write it as name = value',
        },
      )
    }
    if (entry.kind === 'section') section = entry.name
    entries.push(entry)
  }
  return new AfpConfDocument(entries, file)
}

function isParam(section: string, name: string): (e: AfpConfEntry) => e is AfpConfParamEntry {
  const s = nameKey(section)
  const n = nameKey(name)
  return (e): e is AfpConfParamEntry =>
    e.kind === 'param' && nameKey(e.section) === s && nameKey(e.name) === n
}

function line<K extends AfpConfEntry['kind']>(kind: K, raw: string) {
  return { kind, line: 0, raw, eol: '' }
}

/** Insert before `at`; appending after a last line that had no line break moves that lack to the new line. */
function insertLine(entries: AfpConfEntry[], at: number, entry: AfpConfEntry, eol: string): void {
  const previous = entries[at - 1]
  if (at === entries.length && previous?.eol === '') {
    entries[at - 1] = { ...previous, eol }
    entries.push({ ...entry, eol: '' })
  } else entries.splice(at, 0, { ...entry, eol })
}
