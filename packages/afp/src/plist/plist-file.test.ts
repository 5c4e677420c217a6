import { afpPlistValue, binaryPlist, xmlPlist } from '@ipfo/testkit'
import { parse, parseBinary } from 'plist'
import { describe, expect, it } from 'vitest'
import { AfpError } from '../errors.js'
import { parsePlist, withTopLevelString } from './plist-file.js'

const FILE = '/Library/Preferences/com.apple.AppleFileServer.plist'
const SHARED = '/Volumes/Shared/AFP/AFP.conf'
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const bytes = (s: string) => new TextEncoder().encode(s)

function thrown(fn: () => unknown): AfpError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(AfpError)
    return error as AfpError
  }
  throw new Error('expected an AfpError')
}

describe.each([
  ['xml', xmlPlist],
  ['binary', binaryPlist],
] as const)('%s plist round trip', (format, make) => {
  it('reads every key with its type and value', () => {
    const doc = parsePlist(make(), FILE)
    expect(doc.format).toBe(format)
    expect(doc.value).toEqual(afpPlistValue())
    expect(doc.value.lastSaved).toBeInstanceOf(Date)
    expect(doc.value.serverSignature).toBeInstanceOf(Uint8Array)
  })

  it('changes reconnectKeyLocation and keeps every other key, in the same format', () => {
    const doc = parsePlist(make(), FILE)
    const edited = parsePlist(withTopLevelString(doc, 'reconnectKeyLocation', SHARED), FILE)
    expect(edited.format).toBe(format)
    expect(edited.value).toEqual(afpPlistValue({ reconnectKeyLocation: SHARED }))
  })

  it('adds reconnectKeyLocation when the file does not have it', () => {
    const { reconnectKeyLocation: _, ...without } = afpPlistValue()
    const doc = parsePlist(make(without), FILE)
    const edited = parsePlist(withTopLevelString(doc, 'reconnectKeyLocation', SHARED), FILE)
    expect(edited.value).toEqual({ ...without, reconnectKeyLocation: SHARED })
  })

  it('writes a non-ASCII path', () => {
    const path = '/Volumes/Données partagées/AFP.conf'
    const doc = parsePlist(make(), FILE)
    expect(
      parsePlist(withTopLevelString(doc, 'reconnectKeyLocation', path), FILE).value.reconnectKeyLocation,
    ).toBe(path)
  })

  it('refuses to put a path where the key holds another type, naming the key', () => {
    const doc = parsePlist(make(afpPlistValue({ reconnectKeyLocation: 7 })), FILE)
    const error = thrown(() => withTopLevelString(doc, 'reconnectKeyLocation', SHARED))
    expect(error.message).toMatch(/reconnectKeyLocation is (a <integer>, )?not a (<)?string/)
    expect(error.path).toBe('reconnectKeyLocation')
  })
})

describe('XML edits touch only the value they change', () => {
  const original = `<?xml version="1.0" encoding="UTF-8"?>\r
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\r
<plist version="1.0">\r
<dict>\r
\t<!-- set by Server Admin -->\r
\t<key>afpTCPPort</key>\r
\t<integer>548</integer>\r
\t<key>sleepRatio</key>\r
\t<real>2</real>\r
\t<key>nested</key>\r
\t<dict><key>reconnectKeyLocation</key><string>/nested/stays</string></dict>\r
\t<key>reconnectKeyLocation</key>\r
\t<string>/private/etc/AFP.conf</string>\r
\t<key>note</key>\r
\t<string><![CDATA[a <b> & c]]></string>\r
</dict>\r
</plist>\r
`

  it('replaces the top-level value only, byte for byte elsewhere (comments, CRLF, an integral real)', () => {
    const edited = text(
      withTopLevelString(parsePlist(bytes(original), FILE), 'reconnectKeyLocation', '/Volumes/A&B/AFP.conf'),
    )
    expect(edited).toBe(
      original.replace(
        '<string>/private/etc/AFP.conf</string>',
        '<string>/Volumes/A&amp;B/AFP.conf</string>',
      ),
    )
    expect(edited).toContain('<real>2</real>')
    expect((parse(edited) as Record<string, unknown>).nested).toEqual({
      reconnectKeyLocation: '/nested/stays',
    })
  })

  it('inserts a missing key before the end of the top dict, indented like its neighbours', () => {
    const without = original.replace(
      '\t<key>reconnectKeyLocation</key>\r\n\t<string>/private/etc/AFP.conf</string>\r\n',
      '',
    )
    const edited = text(withTopLevelString(parsePlist(bytes(without), FILE), 'reconnectKeyLocation', SHARED))
    expect(edited).toBe(
      without.replace(
        '</dict>\r\n</plist>',
        `\t<key>reconnectKeyLocation</key>\r\n\t<string>${SHARED}</string>\r\n</dict>\r\n</plist>`,
      ),
    )
  })

  it('keeps a UTF-8 byte order mark', () => {
    const withBom = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes(original)])
    const edited = withTopLevelString(parsePlist(withBom, FILE), 'reconnectKeyLocation', SHARED)
    expect([...edited.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  })
})

describe('binary edits keep every other object exactly', () => {
  const realBits = (n: number) => {
    const b = new Uint8Array(9)
    b[0] = 0x23
    new DataView(b.buffer).setFloat64(1, n)
    return b
  }
  const indexOf = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle))

  it('an integral <real> stays a real (the plist library would re-encode it as an integer)', () => {
    const original = binaryPlist(afpPlistValue({ sleepRatio: 2.5 }))
    const at = indexOf(original, realBits(2.5))
    expect(at).toBeGreaterThan(0)
    original.set(realBits(2), at)
    const edited = withTopLevelString(parsePlist(original, FILE), 'reconnectKeyLocation', SHARED)
    expect(indexOf(edited, realBits(2))).toBeGreaterThan(0)
    expect((parseBinary(edited) as Record<string, unknown>).sleepRatio).toBe(2)
  })

  it('a string shared by two keys keeps its value under the other key', () => {
    const doc = parsePlist(binaryPlist(afpPlistValue({ activityLogPath: '/private/etc/AFP.conf' })), FILE)
    const edited = parsePlist(withTopLevelString(doc, 'reconnectKeyLocation', SHARED), FILE)
    expect(edited.value.activityLogPath).toBe('/private/etc/AFP.conf')
    expect(edited.value.reconnectKeyLocation).toBe(SHARED)
  })

  it('widens object references when the edit pushes the count past 255', () => {
    const trailer = (b: Uint8Array) => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
      return { refSize: v.getUint8(b.length - 25), objects: Number(v.getBigUint64(b.length - 24)) }
    }
    let original = binaryPlist()
    for (let n = 0; trailer(original).objects < 254; n++) {
      original = binaryPlist(
        afpPlistValue(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]))),
      )
    }
    expect(trailer(original)).toEqual({ refSize: 1, objects: expect.any(Number) })
    const doc = parsePlist(original, FILE)
    const edited = withTopLevelString(doc, 'recon2', 'x'.repeat(40))
    expect(trailer(edited).refSize).toBe(2)
    expect(parsePlist(edited, FILE).value).toEqual({ ...doc.value, recon2: 'x'.repeat(40) })
  })
})

describe('bad plists get a clear error naming the file and line', () => {
  const good = text(xmlPlist())
  it.each([
    ['cut short', good.slice(0, good.length / 2), /is never closed: the file is cut short/],
    ['mismatched tags', good.replace('</array>', '</dict>'), /<array> \(line \d+\) is closed by <\/dict>/],
    [
      'a bad integer',
      good.replace('<integer>548</integer>', '<integer>five</integer>'),
      /<integer> holds "five", which is not a valid integer/,
    ],
    [
      'a key with no value',
      good.replace(/<\/dict>\s*<\/plist>/, '<key>orphan</key></dict></plist>'),
      /the key "orphan" has no value/,
    ],
    [
      'text between elements',
      good.replace('<key>afpTCPPort</key>', 'oops<key>afpTCPPort</key>'),
      /text "oops" outside any value/,
    ],
    ['not a plist', '<html><body>hi</body></html>', /the root element is <html>, not <plist>/],
    [
      'a top-level array',
      '<plist><array><string>a</string></array></plist>',
      /top level is <array>, not a <dict>/,
    ],
  ])('%s', (_, body, message) => {
    const error = thrown(() => parsePlist(bytes(body), FILE))
    expect(error.message).toMatch(new RegExp(`^${FILE.replace(/\./g, '\\.')}(:\\d+)?: `))
    expect(error.message).toMatch(message)
    expect(error.hint).toBeTruthy()
  })

  it('says which line is wrong', () => {
    const lines = good.split('\n')
    const n = lines.findIndex((l) => l.includes('<integer>548</integer>'))
    lines[n] = lines[n]?.replace('548', 'x') ?? ''
    expect(thrown(() => parsePlist(bytes(lines.join('\n')), FILE)).message).toContain(`${FILE}:${n + 1}:`)
  })

  it.each([
    ['garbage after the header', bytes('bplist00 this is not a plist at all, just text padding it out')],
    [
      'a damaged trailer',
      (() => {
        const b = binaryPlist()
        b.fill(0xff, b.length - 8)
        return b
      })(),
    ],
    ['a truncated file', binaryPlist().subarray(0, 40)],
  ])('binary: %s', (_, body) => {
    expect(thrown(() => parsePlist(body, FILE)).message).toMatch(/not a valid binary plist/)
  })

  it('a file that is neither XML nor binary', () => {
    expect(thrown(() => parsePlist(Uint8Array.from([0xc3, 0x28, 0xa0, 0xa1]), FILE)).message).toMatch(
      /not a plist/,
    )
  })
})
