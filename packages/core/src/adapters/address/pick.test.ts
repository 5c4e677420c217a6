import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { IpfoError } from '../../model/errors.js'
import { platformAddressControl } from './pick.js'

const en0 = { interface: 'en0', ip: '192.168.1.50', prefix: 24, family: 4 } as const

describe('platformAddressControl', () => {
  it('uses ip on Linux and ifconfig on macOS', async () => {
    const runner = new RecordingRunner()
    await platformAddressControl('linux', runner).remove(en0)
    await platformAddressControl('darwin', runner).remove(en0)
    expect(runner.lines()).toEqual([
      'ip addr del 192.168.1.50/24 dev en0',
      'ifconfig en0 -alias 192.168.1.50',
    ])
  })

  it('refuses other platforms with a clear error', () => {
    expect(() => platformAddressControl('win32', new RecordingRunner())).toThrow(IpfoError)
    expect(() => platformAddressControl('freebsd', new RecordingRunner())).toThrow(
      'ipfo cannot manage addresses on freebsd: it supports Linux and macOS',
    )
  })
})
