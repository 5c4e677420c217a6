import { describe, expect, it } from 'vitest'
import { parseAfpConf } from './afp-conf.js'
import { cnidDbPath, fixedDirectory, normalize } from './cnid-dbpath.js'

const volume = (section: string, path = `/srv/afp/${section}`) => ({ section, name: section, path })

describe('cnidDbPath', () => {
  it('defaults to the state directory', () => {
    const doc = parseAfpConf('[Projects]\npath = /srv/afp/projects\n')
    expect(cnidDbPath(doc, volume('Projects'))).toEqual({
      dbpath: '/var/lib/netatalk/CNID/Projects',
      from: 'default',
    })
    expect(cnidDbPath(doc, volume('Projects'), '/usr/local/var/netatalk').dbpath).toBe(
      '/usr/local/var/netatalk/CNID/Projects',
    )
  })

  it('appends the volume name to a global vol dbpath without variables, and fills in $v otherwise', () => {
    expect(cnidDbPath(parseAfpConf('[Global]\nvol dbpath = /srv/afp/cnid/\n'), volume('Projects'))).toEqual({
      dbpath: '/srv/afp/cnid/Projects',
      from: 'global',
    })
    expect(
      cnidDbPath(parseAfpConf('[Global]\nvol dbpath = /srv/afp/$v/.cnid\n'), volume('Projects')),
    ).toEqual({
      dbpath: '/srv/afp/Projects/.cnid',
      from: 'global',
    })
  })

  it('prefers the volume’s own setting, then its preset’s, over the global one', () => {
    const doc = parseAfpConf(
      [
        '[Global]',
        'vol dbpath = /srv/global',
        'vol preset = defaults',
        '[defaults]',
        'vol dbpath = /srv/preset/$v',
        '[special]',
        'vol dbpath = /srv/special/$v',
        '[Projects]',
        'path = /srv/afp/projects',
        'vol dbpath = /srv/own/$$v',
        '[Archive]',
        'path = /srv/afp/archive',
        '[Music]',
        'path = /srv/afp/music',
        'vol preset = special',
        '',
      ].join('\n'),
    )
    expect(cnidDbPath(doc, volume('Projects'))).toEqual({ dbpath: '/srv/own/$v', from: 'volume' })
    expect(cnidDbPath(doc, volume('Archive'))).toEqual({ dbpath: '/srv/preset/Archive', from: 'preset' })
    expect(cnidDbPath(doc, volume('Music'))).toEqual({ dbpath: '/srv/special/Music', from: 'preset' })
  })

  it('keeps the database inside the volume with vol dbnest', () => {
    const doc = parseAfpConf('[Global]\nvol dbnest = yes\nvol dbpath = /srv/cnid\n')
    expect(cnidDbPath(doc, volume('Projects', '/srv/afp/projects/'))).toEqual({
      dbpath: '/srv/afp/projects',
      from: 'dbnest',
    })
    const off = parseAfpConf('[Global]\nvol dbnest = no\n')
    expect(cnidDbPath(off, volume('Projects')).from).toBe('default')
  })

  it('turns a slash in the volume name into a colon, as afpd does', () => {
    const doc = parseAfpConf('')
    expect(cnidDbPath(doc, { section: 'A/B', name: 'A/B', path: '/srv/ab' }).dbpath).toBe(
      '/var/lib/netatalk/CNID/A:B',
    )
  })
})

describe('fixedDirectory', () => {
  it('stops before the first variable afpd fills in', () => {
    expect(fixedDirectory('/srv/cnid/Projects')).toBe('/srv/cnid/Projects')
    expect(fixedDirectory('/srv/cnid/$u/db')).toBe('/srv/cnid')
    expect(fixedDirectory("/var/lib/netatalk/CNID/$u's home")).toBe('/var/lib/netatalk/CNID')
    expect(fixedDirectory('$h/cnid')).toBe('')
  })
})

describe('normalize', () => {
  it('collapses slashes and drops a trailing one', () => {
    expect(normalize('/srv//afp/')).toBe('/srv/afp')
    expect(normalize('/')).toBe('/')
  })
})
