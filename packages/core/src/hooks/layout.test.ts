import { describe, expect, it } from 'vitest'
import { addressFolder, addressFolderName, byteOrder, isIgnoredName, stageScripts } from './layout.js'

const listing = [
  'PostAcq_20_web',
  'PostAcq-50-email',
  'PostAcq-50-email.json',
  'PostAcq_10_mysql',
  'PostAcquire',
  '.PostAcq-10-web.swp',
  'PostAcq-10-web~',
  'PreAcq-10-mount',
  'PreRel-10-stop',
  'PostRel-10-umount',
  'Test',
  'Test.json',
  'README',
  'postacq-lower-case',
]

describe('stageScripts', () => {
  it('picks Test by its exact name', () => {
    expect(stageScripts('Test', listing)).toEqual(['Test'])
    expect(stageScripts('Test', ['Testing', 'test', 'Test~'])).toEqual([])
  })

  it("picks every name that starts with the phase, as Apple's servers did", () => {
    expect(stageScripts('PostAcq', listing)).toEqual([
      'PostAcq-50-email',
      'PostAcq_10_mysql',
      'PostAcq_20_web',
      'PostAcquire',
    ])
    expect(stageScripts('PreAcq', listing)).toEqual(['PreAcq-10-mount'])
    expect(stageScripts('PreRel', listing)).toEqual(['PreRel-10-stop'])
    expect(stageScripts('PostRel', listing)).toEqual(['PostRel-10-umount'])
  })

  it('ignores dotfiles, JSON option files and editor backups', () => {
    const picked = stageScripts('PostAcq', listing)
    expect(picked).not.toContain('.PostAcq-10-web.swp')
    expect(picked).not.toContain('PostAcq-10-web~')
    expect(picked).not.toContain('PostAcq-50-email.json')
    expect(isIgnoredName('PostAcq-10-web')).toBe(false)
  })

  it('sorts by bytes, not by locale: upper case before lower case, "-" before "_", digits as text', () => {
    const names = ['PreAcq_b', 'PreAcq-b', 'PreAcq-B', 'PreAcq-9', 'PreAcq-10', 'PreAcq-é', 'PreAcq-z']
    expect(stageScripts('PreAcq', names)).toEqual([
      'PreAcq-10',
      'PreAcq-9',
      'PreAcq-B',
      'PreAcq-b',
      'PreAcq-z',
      'PreAcq-é',
      'PreAcq_b',
    ])
    // localeCompare would put "b" next to "B" and "é" next to "e".
    expect(['b', 'B', 'é', 'f'].sort(byteOrder)).toEqual(['B', 'b', 'f', 'é'])
  })

  it('is empty for an empty folder', () => {
    expect(stageScripts('PostRel', [])).toEqual([])
    expect(stageScripts('Test', [])).toEqual([])
  })
})

describe('address folders', () => {
  it('names an IPv4 folder by the address', () => {
    expect(addressFolder('/etc/ipfo/hooks', '10.0.0.50')).toBe('/etc/ipfo/hooks/10.0.0.50')
  })

  it('names an IPv6 folder by the compressed, lower-case form', () => {
    expect(addressFolderName('FD00:0:0:0:0:0:0:50')).toBe('fd00::50')
    expect(addressFolder('/etc/ipfo/hooks/', 'fd00:0000::0050')).toBe('/etc/ipfo/hooks/fd00::50')
  })
})
