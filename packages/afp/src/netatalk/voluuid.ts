/**
 * afpd's two state files of `"name" value` lines: afp_voluuid.conf (a UUID per volume name) and
 * afp_signature.conf (the signature afpd made up when afp.conf sets none). Netatalk 3.1 keeps both
 * in its state directory, /var/lib/netatalk on Debian. afpd reads them line by line: leading blanks
 * skipped, `#` lines and blank lines ignored, a name in double quotes when it has spaces, and any
 * line it cannot read silently skipped. Here such lines become warnings with their line number.
 */

export interface VolUuidEntry {
  /** The volume name (afp_voluuid.conf) or server name (afp_signature.conf). */
  readonly name: string
  /** The UUID or signature, upper-cased as afpd reads it. */
  readonly value: string
  readonly line: number
}

export interface VolUuidWarning {
  readonly line: number
  /** What is wrong, starting with `file:line`. */
  readonly message: string
}

export interface VolUuidFile {
  readonly file: string
  readonly entries: readonly VolUuidEntry[]
  readonly warnings: readonly VolUuidWarning[]
}

export const VOLUUID_FILE = 'afp_voluuid.conf'
export const SIGNATURE_FILE = 'afp_signature.conf'

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/
const SIGNATURE = /^[0-9A-F]{32}$/

/** Parse afp_voluuid.conf: `"volume name" 1573974F-0ABD-69CC-C40A-8519B681A0E1`. */
export function parseVolUuidFile(text: string, file = VOLUUID_FILE): VolUuidFile {
  return parseNameValueFile(text, file, UUID, 'a UUID like 1573974F-0ABD-69CC-C40A-8519B681A0E1')
}

/** Parse afp_signature.conf: `"server name" 74A0BB94EC8C13988B2E75042347E528`. */
export function parseSignatureFile(text: string, file = SIGNATURE_FILE): VolUuidFile {
  return parseNameValueFile(text, file, SIGNATURE, '32 hexadecimal digits')
}

/** The UUID afpd uses for `volume`: the first entry with that exact name, as afpd stops there. */
export function uuidOf(file: VolUuidFile, volume: string): string | undefined {
  return file.entries.find((e) => e.name === volume)?.value
}

function parseNameValueFile(text: string, file: string, shape: RegExp, expected: string): VolUuidFile {
  const entries: VolUuidEntry[] = []
  const warnings: VolUuidWarning[] = []
  for (const [index, raw] of text.split('\n').entries()) {
    const line = index + 1
    const content = raw.replace(/\r$/, '').replace(/^[ \t]+/, '')
    if (content.trim() === '' || content.startsWith('#')) continue
    const read = readEntry(content, entries, shape, expected)
    if (typeof read === 'string') warnings.push({ line, message: `${file}:${line}: ${read}` })
    else entries.push({ ...read, line })
  }
  return { file, entries, warnings }
}

/** The line's entry, or why afpd skips it. */
function readEntry(
  content: string,
  entries: readonly VolUuidEntry[],
  shape: RegExp,
  expected: string,
): { name: string; value: string } | string {
  const parsed = splitNameValue(content)
  if (typeof parsed === 'string') return `${parsed}; afpd skips this line`
  const value = parsed.value.toUpperCase()
  if (!shape.test(value)) return `"${parsed.value}" for "${parsed.name}" is not ${expected}; afpd skips it`
  const first = entries.find((e) => e.name === parsed.name)
  if (first) return `"${parsed.name}" is listed again; afpd uses line ${first.line} and ignores this one`
  return { name: parsed.name, value }
}

/** The name and the first word after it, or what is wrong with the line. */
function splitNameValue(text: string): { name: string; value: string } | string {
  let name: string
  let rest: string
  if (text.startsWith('"')) {
    const close = text.indexOf('"', 1)
    if (close === -1) return `the quoted name ${text} has no closing quote`
    name = text.slice(1, close)
    rest = text.slice(close + 1)
  } else {
    name = text.split(/[ \t]/, 1)[0]!
    rest = text.slice(name.length)
  }
  if (name === '') return 'the name is empty'
  const value = rest.trim().split(/[ \t]+/, 1)[0] ?? ''
  if (value === '') return `"${name}" has no value after it`
  return { name, value }
}
