import { describe, expect, it } from 'vitest'
import { parseOptions } from './options.js'

describe('--topology', () => {
  it('is the pair by default, with every fault and the idle and stress windows', () => {
    const opts = parseOptions([])
    expect(opts.topology).toBe('pair')
    expect(opts.faults).toEqual(['node-death', 'link-cut', 'daemon-crash', 'service-death', 'partition'])
  })

  it('three: ipfo 10ms and keepalived 0.01 unless told, no faults of the pair', () => {
    const opts = parseOptions(['--topology', 'three', '--runs', '2'])
    expect(opts.topology).toBe('three')
    expect(opts.settings.map((s) => s.id)).toEqual(['ipfo-10ms', 'keepalived-10ms'])
    expect(opts.faults).toEqual([])
    expect(opts.runs).toBe(2)
    const smoke = parseOptions(['--topology', 'three', '--smoke'])
    expect(smoke.settings.map((s) => s.id)).toEqual(['ipfo-10ms', 'keepalived-10ms'])
    const chosen = parseOptions(['--topology', 'three', '--settings', 'keepalived-10ms,ipfo-default'])
    expect(chosen.settings.map((s) => s.id)).toEqual(['ipfo-default', 'keepalived-10ms'])
  })

  it('runs the real-time variants only when named', () => {
    const rt = ['ipfo-10ms-rt', 'keepalived-10ms-rt']
    for (const argv of [[], ['--topology', 'three'], ['--smoke']]) {
      expect(parseOptions(argv).settings.some((s) => rt.includes(s.id))).toBe(false)
    }
    const named = parseOptions(['--topology', 'three', '--settings', rt.join(',')])
    expect(named.settings.map((s) => s.id)).toEqual(rt)
  })

  it('refuses what three nodes do not run: ucarp, steady-only settings, --faults, another topology', () => {
    expect(() => parseOptions(['--topology', 'three', '--settings', 'ucarp-1s'])).toThrow(/not ucarp-1s/)
    expect(() => parseOptions(['--topology', 'three', '--settings', 'ipfo-checks10'])).toThrow(
      /not ipfo-checks10/,
    )
    expect(() => parseOptions(['--topology', 'three', '--faults', 'link-cut'])).toThrow(/leave out --faults/)
    expect(() => parseOptions(['--topology', 'ring'])).toThrow(/pair or three/)
  })
})
