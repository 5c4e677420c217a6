import { describe, expect, it } from 'vitest'
import { parseAfpConf } from './afp-conf.js'
import { nodeSettings } from './node-settings.js'
import { parseVolUuidFile } from './voluuid.js'

const AFP_CONF = [
  '[Global]',
  'signature = ipfo-pair-01',
  'vol dbpath = /srv/afp/.cnid/$v',
  'include = /etc/netatalk/extra.conf',
  '',
  '[Projects]',
  'path = /srv/afp/projects',
  '',
  '[tm]',
  'path = /srv/afp/timemachine',
  'volume name = Time Machine',
  '',
  '[defaults]',
  'valid users = @staff',
  '',
  '[Homes]',
  'basedir regex = /home',
  'path = afp',
  '',
].join('\n')

const VOLUUID = [
  '"Projects"\t1573974F-0ABD-69CC-C40A-8519B681A0E1',
  '"Time Machine"\t39A487F4-55AA-8240-E584-69AA01800FE9',
  'junk',
  '',
].join('\n')

describe('nodeSettings', () => {
  it('gathers the signature, volumes with their UUIDs and CNID directories, and includes', () => {
    const settings = nodeSettings(
      parseAfpConf(AFP_CONF, '/etc/netatalk/afp.conf'),
      parseVolUuidFile(VOLUUID, '/var/lib/netatalk/afp_voluuid.conf'),
      'alpha',
    )
    expect(settings).toEqual({
      label: 'alpha',
      afpConfFile: '/etc/netatalk/afp.conf',
      voluuidFile: '/var/lib/netatalk/afp_voluuid.conf',
      signature: 'ipfo-pair-01',
      globalDbpath: '/srv/afp/.cnid/$v',
      volumes: [
        {
          name: 'Projects',
          section: 'Projects',
          path: '/srv/afp/projects',
          dbpath: '/srv/afp/.cnid/Projects',
          dbpathFrom: 'global',
          uuid: '1573974F-0ABD-69CC-C40A-8519B681A0E1',
          perUser: false,
        },
        {
          name: 'Time Machine',
          section: 'tm',
          path: '/srv/afp/timemachine',
          dbpath: '/srv/afp/.cnid/Time Machine',
          dbpathFrom: 'global',
          uuid: '39A487F4-55AA-8240-E584-69AA01800FE9',
          perUser: false,
        },
        {
          name: "$u's home",
          section: 'Homes',
          path: 'afp',
          dbpath: "/srv/afp/.cnid/$u's home",
          dbpathFrom: 'global',
          uuid: undefined,
          perUser: true,
        },
      ],
      includes: ['/etc/netatalk/extra.conf'],
      voluuidWarnings: [
        {
          line: 3,
          message: '/var/lib/netatalk/afp_voluuid.conf:3: "junk" has no value after it; afpd skips this line',
        },
      ],
    })
  })

  it('treats an empty signature and an unread afp_voluuid.conf as absent', () => {
    const settings = nodeSettings(parseAfpConf('[Global]\nsignature =\n[P]\npath = /p\n'), undefined, 'beta')
    expect(settings.signature).toBeUndefined()
    expect(settings.voluuidFile).toBeUndefined()
    expect(settings.volumes.map((v) => [v.name, v.uuid, v.dbpath])).toEqual([
      ['P', undefined, '/var/lib/netatalk/CNID/P'],
    ])
  })
})
