import { ConfigError } from '@ipfo/core/errors'
import { describe, expect, it } from 'vitest'
import { parseAfpConf } from './afp-conf.js'

/** A node's afp.conf as a sysadmin would leave it: both comment styles, a continuation, a preset. */
const FIXTURE = [
  ';',
  '; Netatalk 3.x configuration file',
  ';',
  '',
  '[Global]',
  '; Global server settings',
  '  hostname = files-a',
  '  log file = /var/log/netatalk.log   ; rotated by logrotate',
  '  uam list = uams_dhx.so \\',
  '    uams_dhx2.so',
  '# mimic model = TimeCapsule6,106',
  '',
  '[Projects]',
  '  path = /srv/afp/projects',
  '  valid users = @staff',
  '',
  '[Archive]',
  '  path = "/srv/afp/archive 2019"',
  '  vol dbpath = /srv/afp/.cnid/$v',
  '',
  '# home directories of the staff',
  '[Homes]',
  '  basedir regex = /home',
  '',
].join('\n')

/** FIXTURE with lines replaced (index -> new lines; an empty array deletes). */
function fixtureWith(changes: Record<number, string[]>, eol = '\n'): string {
  return FIXTURE.split('\n')
    .flatMap((l, i) => changes[i] ?? [l])
    .join(eol)
}

describe('parseAfpConf', () => {
  it('renders the parsed text byte for byte', () => {
    expect(parseAfpConf(FIXTURE).render()).toBe(FIXTURE)
    const crlf = FIXTURE.replaceAll('\n', '\r\n')
    expect(parseAfpConf(crlf).render()).toBe(crlf)
    const noFinalNewline = FIXTURE.trimEnd()
    expect(parseAfpConf(noFinalNewline).render()).toBe(noFinalNewline)
    const mixed = '[Global]\r\nhostname = a \\\r\n  b\nsignature = x'
    expect(parseAfpConf(mixed).render()).toBe(mixed)
    expect(parseAfpConf('').render()).toBe('')
  })

  it('reads values the way afpd does', () => {
    const doc = parseAfpConf(FIXTURE)
    expect(doc.get('Global', 'hostname')).toBe('files-a')
    expect(doc.get('global', 'HOSTNAME')).toBe('files-a')
    expect(doc.get('Global', 'log file')).toBe('/var/log/netatalk.log')
    expect(doc.get('Global', 'uam list')).toBe('uams_dhx.so     uams_dhx2.so')
    expect(doc.get('Global', 'mimic model')).toBeUndefined()
    expect(doc.get('Archive', 'path')).toBe('/srv/afp/archive 2019')
    expect(doc.get('Archive', 'vol  dbpath')).toBe('/srv/afp/.cnid/$v')
    expect(doc.get('Projects', 'vol dbpath')).toBeUndefined()
    expect(doc.param('Global', 'uam list')?.line).toBe(9)
    expect(doc.param('Homes', 'basedir regex')?.line).toBe(23)
  })

  it('lists sections and volumes', () => {
    const doc = parseAfpConf(FIXTURE)
    expect(doc.sections()).toEqual(['Global', 'Projects', 'Archive', 'Homes'])
    expect(doc.volumes()).toEqual([
      { section: 'Projects', path: '/srv/afp/projects' },
      { section: 'Archive', path: '/srv/afp/archive 2019' },
    ])
    expect(doc.hasSection('homes')).toBe(true)
    expect(doc.hasSection('Music')).toBe(false)
  })

  it('lets the last of repeated sections and parameters win, as afpd merges them', () => {
    const doc = parseAfpConf('[Global]\nsignature = one\n[Projects]\npath = /p\n[global]\nsignature = two\n')
    expect(doc.get('Global', 'signature')).toBe('two')
    expect(doc.sections()).toEqual(['Global', 'Projects'])
    expect(doc.set('Global', 'signature', 'three').render()).toBe(
      '[Global]\nsignature = one\n[Projects]\npath = /p\n[global]\nsignature = three\n',
    )
    expect(doc.remove('Global', 'signature').render()).toBe('[Global]\n[Projects]\npath = /p\n[global]\n')
  })

  it('names the file and line of a line it cannot read, and how to fix it', () => {
    const text = fixtureWith({ 14: ['  valid users = @staff', '  this line is junk'] })
    const error = (() => {
      try {
        parseAfpConf(text, '/etc/netatalk/afp.conf')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    const configError = error as ConfigError
    expect(configError.message).toContain('/etc/netatalk/afp.conf:16')
    expect(configError.message).toContain('this line is junk')
    expect(configError.file).toBe('/etc/netatalk/afp.conf')
    expect(configError.path).toBe('Projects')
    expect(configError.hint).toMatch(/comment/)
    expect(() => parseAfpConf('[Global]\n= value\n')).toThrow(/afp\.conf:2/)
    expect(() => parseAfpConf('[]\n')).toThrow(/afp\.conf:1/)
  })
})

describe('AfpConfDocument.set', () => {
  const doc = parseAfpConf(FIXTURE)

  it('replaces a value in place, keeping indentation and the inline comment', () => {
    expect(doc.set('Global', 'hostname', 'files-b').render()).toBe(
      fixtureWith({ 6: ['  hostname = files-b'] }),
    )
    expect(doc.set('GLOBAL', 'Log File', '/var/log/afpd.log').render()).toBe(
      fixtureWith({ 7: ['  log file = /var/log/afpd.log   ; rotated by logrotate'] }),
    )
  })

  it('collapses a continued parameter into one line', () => {
    expect(doc.set('Global', 'uam list', 'uams_dhx2.so').render()).toBe(
      fixtureWith({ 8: ['  uam list = uams_dhx2.so'], 9: [] }),
    )
  })

  it('keeps quotes on a quoted value and adds them where afpd would cut the value short', () => {
    expect(doc.set('Archive', 'path', '/srv/afp/archive 2020').render()).toBe(
      fixtureWith({ 17: ['  path = "/srv/afp/archive 2020"'] }),
    )
    const changed = doc.set('Projects', 'valid users', '@staff;@admin')
    expect(changed.render()).toBe(fixtureWith({ 14: ['  valid users = "@staff;@admin"'] }))
    expect(parseAfpConf(changed.render()).get('Projects', 'valid users')).toBe('@staff;@admin')
  })

  it('appends a new parameter after the last one of its section, before the next section’s lines', () => {
    expect(doc.set('Global', 'signature', 'ipfo-pair-01').render()).toBe(
      fixtureWith({ 9: ['    uams_dhx2.so', '  signature = ipfo-pair-01'] }),
    )
    expect(doc.set('Projects', 'vol dbpath', '/srv/afp/.cnid/$v').render()).toBe(
      fixtureWith({ 14: ['  valid users = @staff', '  vol dbpath = /srv/afp/.cnid/$v'] }),
    )
    expect(doc.set('Homes', 'home name', '$u on files').render()).toBe(
      fixtureWith({ 22: ['  basedir regex = /home', '  home name = $u on files'] }),
    )
  })

  it('puts the first parameter of a section after the comments glued to its header', () => {
    const debianDefault = [
      ';',
      '; Netatalk 3.x configuration file',
      ';',
      '',
      '[Global]',
      '; Global server settings',
      '',
      '; [Homes]',
      '; basedir regex = /xxxx',
      '',
    ].join('\n')
    expect(parseAfpConf(debianDefault).set('Global', 'vol dbpath', '/srv/afp/.cnid').render()).toBe(
      [
        ';',
        '; Netatalk 3.x configuration file',
        ';',
        '',
        '[Global]',
        '; Global server settings',
        'vol dbpath = /srv/afp/.cnid',
        '',
        '; [Homes]',
        '; basedir regex = /xxxx',
        '',
      ].join('\n'),
    )
  })

  it('appends a missing section at the end of the file', () => {
    expect(doc.set('Music', 'path', '/srv/afp/music').render()).toBe(
      `${FIXTURE}\n[Music]\n  path = /srv/afp/music\n`,
    )
    expect(parseAfpConf('').set('Global', 'signature', 'abc').render()).toBe('[Global]\nsignature = abc\n')
  })

  it('writes new lines with the file’s line breaks and keeps a missing final line break missing', () => {
    const crlf = FIXTURE.replaceAll('\n', '\r\n')
    expect(parseAfpConf(crlf).set('Global', 'signature', 'ipfo-pair-01').render()).toBe(
      fixtureWith({ 9: ['    uams_dhx2.so', '  signature = ipfo-pair-01'] }, '\r\n'),
    )
    const unterminated = '[Global]\nhostname = a'
    expect(parseAfpConf(unterminated).set('Global', 'signature', 'x').render()).toBe(
      '[Global]\nhostname = a\nsignature = x',
    )
    expect(parseAfpConf(unterminated).set('Projects', 'path', '/p').render()).toBe(
      '[Global]\nhostname = a\n\n[Projects]\npath = /p',
    )
  })

  it('returns the same document when the value is already set', () => {
    expect(doc.set('Global', 'hostname', 'files-a')).toBe(doc)
  })

  it('leaves the original document untouched', () => {
    doc.set('Global', 'hostname', 'files-b')
    expect(doc.render()).toBe(FIXTURE)
  })

  it('refuses values afp.conf cannot carry', () => {
    expect(() => doc.set('Global', 'hostname', 'a\nsignature = b')).toThrow(ConfigError)
    expect(() => doc.set('Global', 'vol = dbpath', '/x')).toThrow(/not a parameter name/)
    expect(() => doc.set('Global', 'x', `a"b'c;`)).toThrow(/both kinds of quote/)
    let error: unknown
    try {
      doc.set('Global', 'signature', 'seventeen-chars-x')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).path).toBe('Global.signature')
    expect((error as ConfigError).message).toMatch(/17 bytes/)
    expect(doc.set('Global', 'signature', 'sixteen-chars-xx').get('Global', 'signature')).toBe(
      'sixteen-chars-xx',
    )
  })
})

describe('AfpConfDocument.remove', () => {
  const doc = parseAfpConf(FIXTURE)

  it('removes the line and nothing else', () => {
    expect(doc.remove('Projects', 'valid users').render()).toBe(fixtureWith({ 14: [] }))
    expect(doc.remove('Global', 'uam list').render()).toBe(fixtureWith({ 8: [], 9: [] }))
  })

  it('returns the same document when there is nothing to remove', () => {
    expect(doc.remove('Global', 'signature')).toBe(doc)
    expect(doc.remove('Music', 'path')).toBe(doc)
  })

  it('keeps a missing final line break missing', () => {
    expect(parseAfpConf('[Global]\nhostname = a\nsignature = x').remove('Global', 'signature').render()).toBe(
      '[Global]\nhostname = a',
    )
  })
})
