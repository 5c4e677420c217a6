import { isDeepStrictEqual } from 'node:util'
import { type PlistValue, parse, parseBinary } from 'plist'
import { AfpError, describeFsError } from '../errors.js'
import type { AfpFs } from '../fs-port.js'
import { checkBinaryPlist, isBinaryPlist, setBinaryTopLevelString } from './binary-plist.js'
import { checkXmlPlist, setXmlTopLevelString } from './xml-plist.js'

export type PlistFormat = 'xml' | 'binary'
export type PlistDict = { [key: string]: PlistValue }

/** A plist file as read: its format, its exact bytes and its values. */
export interface PlistDocument {
  readonly file: string
  readonly format: PlistFormat
  readonly bytes: Uint8Array
  readonly value: PlistDict
}

/** Reads and checks a plist whose top level is a dictionary, in XML or binary form. */
export async function readPlistFile(fs: AfpFs, file: string): Promise<PlistDocument> {
  let bytes: Uint8Array
  try {
    bytes = await fs.readFile(file)
  } catch (error) {
    const { what, hint } = describeFsError(error)
    throw new AfpError(`cannot read ${file}: ${what}`, { file, hint, cause: error })
  }
  return parsePlist(bytes, file)
}

export function parsePlist(bytes: Uint8Array, file: string): PlistDocument {
  const format: PlistFormat = isBinaryPlist(bytes) ? 'binary' : 'xml'
  let value: PlistValue
  if (format === 'binary') {
    checkBinaryPlist(bytes, file)
    value = wrap(file, () => parseBinary(bytes))
  } else {
    const text = decodeXml(bytes, file)
    const root = checkXmlPlist(text, file)
    if (root.name !== 'dict') {
      throw new AfpError(`${file}: the plist's top level is <${root.name}>, not a <dict>`, {
        file,
        hint: 'this is not an AppleFileServer plist: check the --plist path',
      })
    }
    value = wrap(file, () => parse(text))
  }
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof Date ||
    value instanceof Uint8Array
  ) {
    throw new AfpError(`${file}: the plist's top level is not a dictionary`, {
      file,
      hint: 'this is not an AppleFileServer plist: check the --plist path',
    })
  }
  return { file, format, bytes, value }
}

/**
 * The bytes of `doc` with one top-level string set, in the file's own format, every other byte of
 * every other key unchanged. The result is read back and compared by value before it is returned.
 */
export function withTopLevelString(doc: PlistDocument, key: string, value: string): Uint8Array {
  const bytes =
    doc.format === 'binary'
      ? setBinaryTopLevelString(doc.bytes, doc.file, key, value)
      : withBom(
          doc.bytes,
          new TextEncoder().encode(
            setXmlTopLevelString(decodeXml(doc.bytes, doc.file), doc.file, key, value),
          ),
        )
  const reread = parsePlist(bytes, doc.file)
  if (reread.format !== doc.format || !isDeepStrictEqual(reread.value, { ...doc.value, [key]: value })) {
    throw new AfpError(`${doc.file}: the edited plist did not read back as expected; nothing was written`, {
      file: doc.file,
      hint: 'please report this with a copy of the plist (remove any secrets first)',
    })
  }
  return bytes
}

/** TextDecoder drops a UTF-8 byte order mark; put it back so the edit changes nothing else. */
function withBom(original: Uint8Array, edited: Uint8Array): Uint8Array {
  if (original[0] !== 0xef || original[1] !== 0xbb || original[2] !== 0xbf) return edited
  return Uint8Array.from([0xef, 0xbb, 0xbf, ...edited])
}

function decodeXml(bytes: Uint8Array, file: string): string {
  if (bytes[0] === 0xfe || bytes[0] === 0xff) {
    throw new AfpError(`${file}: UTF-16 XML plists are not supported`, {
      file,
      hint: 'convert it with `plutil -convert xml1` (UTF-8) or `plutil -convert binary1` on a Mac',
    })
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new AfpError(`${file}: not a plist (neither bplist00 nor UTF-8 XML)`, {
      file,
      hint: 'check the --plist path; restore the file from a backup if it is damaged',
    })
  }
}

function wrap<T>(file: string, read: () => T): T {
  try {
    return read()
  } catch (error) {
    throw new AfpError(`${file}: not a valid plist: ${(error as Error).message}`, {
      file,
      hint: 'restore the plist from a backup, or check it with `plutil -lint` on a Mac',
      cause: error,
    })
  }
}
