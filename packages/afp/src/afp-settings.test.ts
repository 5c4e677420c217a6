import { afpPlistValue, binaryPlist, xmlPlist } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { afpSettingsOf } from './afp-settings.js'
import { AfpError } from './errors.js'
import { parsePlist } from './plist/plist-file.js'

const FILE = '/Library/Preferences/com.apple.AppleFileServer.plist'
const settings = (bytes: Uint8Array) => afpSettingsOf(parsePlist(bytes, FILE))
const error = (bytes: Uint8Array) => {
  try {
    settings(bytes)
  } catch (e) {
    expect(e).toBeInstanceOf(AfpError)
    return e as AfpError
  }
  throw new Error('expected an AfpError')
}

describe('AppleFileServer settings', () => {
  it('reads the reconnect keys', () => {
    expect(settings(binaryPlist())).toMatchObject({
      reconnectKeyLocation: '/private/etc/AFP.conf',
      locationIsDefault: false,
      reconnectTTLInMin: 1440,
      recon1SrvrKeyTTLHrs: 168,
      reconnectFlag: 'no_admin_kills',
    })
  })

  it('falls back to /private/etc/AFP.conf when reconnectKeyLocation is not set', () => {
    const { reconnectKeyLocation: _, ...rest } = afpPlistValue()
    expect(settings(xmlPlist(rest))).toMatchObject({
      reconnectKeyLocation: '/private/etc/AFP.conf',
      locationIsDefault: true,
    })
  })

  it("refuses another program's plist, saying what it found", () => {
    const e = error(xmlPlist({ AppleLanguages: ['en'], AppleLocale: 'en_US' }))
    expect(e.message).toBe(
      `${FILE} is not AppleFileServer's plist: none of its keys are AFP settings (found AppleLanguages, AppleLocale)`,
    )
    expect(e.hint).toContain('--plist')
  })

  it('names a key of the wrong type, and how to restore it', () => {
    const e = error(binaryPlist(afpPlistValue({ reconnectTTLInMin: 'a day' })))
    expect(e.message).toBe(`${FILE}: reconnectTTLInMin should be a number, found string "a day"`)
    expect(e.path).toBe('reconnectTTLInMin')
    expect(e.hint).toBe(
      'fix reconnectTTLInMin (on a Mac: `sudo defaults delete /Library/Preferences/com.apple.AppleFileServer reconnectTTLInMin` restores the default)',
    )
  })

  it('refuses a relative reconnectKeyLocation', () => {
    expect(error(xmlPlist(afpPlistValue({ reconnectKeyLocation: 'AFP.conf' }))).message).toContain(
      'is not an absolute path',
    )
  })
})
