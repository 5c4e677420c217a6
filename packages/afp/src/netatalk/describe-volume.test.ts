import { describe, expect, it } from 'vitest'
import { describeVolume, describeVolumes, volumeCount } from './describe-volume.js'

describe('describeVolume', () => {
  it('quotes volume names and calls the per-user volumes [Homes]', () => {
    expect(describeVolume({ name: 'Archive 2019', perUser: false })).toBe('"Archive 2019"')
    expect(describeVolume({ name: "$u's home", perUser: true })).toBe('[Homes]')
    expect(
      describeVolumes([
        { name: 'A', perUser: false },
        { name: 'B', perUser: false },
      ]),
    ).toBe('"A", "B"')
  })
})

describe('volumeCount', () => {
  it('agrees in number', () => {
    expect(volumeCount(1)).toBe('1 volume')
    expect(volumeCount(2)).toBe('2 volumes')
  })
})
