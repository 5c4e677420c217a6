import { ConfigError } from '@ipfo/core/errors'
import { describe, expect, it } from 'vitest'
import { parseAfpConf } from './afp-conf.js'
import { generateSignature, planNetatalkConfigure } from './configure.js'

const AFP_CONF = [
  ';',
  '; Netatalk 3.x configuration file',
  ';',
  '',
  '[Global]',
  '; Global server settings',
  '  vol dbpath = /var/lib/netatalk/CNID   # the default',
  '',
  '[Projects]',
  '  path = /srv/afp/projects',
  '',
].join('\n')

describe('planNetatalkConfigure', () => {
  const doc = parseAfpConf(AFP_CONF, '/etc/netatalk/afp.conf')

  it('sets the signature and the CNID directory in [Global], listing each change', () => {
    const plan = planNetatalkConfigure(doc, { signature: 'ipfo-pair-01', dbpath: '/srv/afp/.cnid/$v' })
    expect(plan.changes).toEqual([
      { section: 'Global', name: 'signature', from: undefined, to: 'ipfo-pair-01' },
      { section: 'Global', name: 'vol dbpath', from: '/var/lib/netatalk/CNID', to: '/srv/afp/.cnid/$v' },
    ])
    expect(plan.document.render()).toBe(
      AFP_CONF.replace(
        '  vol dbpath = /var/lib/netatalk/CNID   # the default\n',
        '  vol dbpath = /srv/afp/.cnid/$v   # the default\n  signature = ipfo-pair-01\n',
      ),
    )
    expect(doc.render()).toBe(AFP_CONF)
  })

  it('changes nothing when afp.conf already says so', () => {
    const done = planNetatalkConfigure(doc, {
      signature: 'ipfo-pair-01',
      dbpath: '/srv/afp/.cnid/$v',
    }).document
    const again = planNetatalkConfigure(done, { signature: 'ipfo-pair-01', dbpath: '/srv/afp/.cnid/$v' })
    expect(again.changes).toEqual([])
    expect(again.document).toBe(done)
    expect(planNetatalkConfigure(doc, {})).toEqual({ document: doc, changes: [] })
  })

  it('changes only what differs', () => {
    const plan = planNetatalkConfigure(doc, { dbpath: '/var/lib/netatalk/CNID', signature: 'abc' })
    expect(plan.changes).toEqual([{ section: 'Global', name: 'signature', from: undefined, to: 'abc' }])
  })

  it('refuses signatures afpd would not keep intact', () => {
    for (const signature of ['', 'seventeen-chars-x', ' padded', 'tab\there', 'line\nbreak', 'café']) {
      let error: unknown
      try {
        planNetatalkConfigure(doc, { signature })
      } catch (e) {
        error = e
      }
      expect(error, JSON.stringify(signature)).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).path).toBe('Global.signature')
      expect((error as ConfigError).file).toBe('/etc/netatalk/afp.conf')
    }
    expect(planNetatalkConfigure(doc, { signature: 'My Server #1' }).document.render()).toContain(
      '  signature = "My Server #1"\n',
    )
  })

  it('refuses a relative CNID directory', () => {
    expect(() => planNetatalkConfigure(doc, { dbpath: 'srv/cnid' })).toThrow(/not an absolute path/)
    expect(() => planNetatalkConfigure(doc, { dbpath: '/srv/cnid\n' })).toThrow(ConfigError)
  })
})

describe('generateSignature', () => {
  it('draws 16 letters and digits', () => {
    const signature = generateSignature()
    expect(signature).toMatch(/^[A-Za-z0-9]{16}$/)
    expect(generateSignature()).not.toBe(signature)
  })

  it('maps each random index onto the alphabet', () => {
    let next = 0
    expect(generateSignature((size) => (next++ * 7) % size)).toBe('AHOVcjqx4BIPWdkr')
  })
})
