import { describe, expect, it } from 'vitest'
import type { RtNetlink } from '../adapters/address/netlink-batch.js'
import { ConfigError } from '../model/errors.js'
import { addressBatch } from './address-batch.js'

const rt: RtNetlink = {
  getLinks: async () => [],
  getLink: async () => [],
  newAddress: async () => [],
  delAddress: async () => [],
  getNeighbors: async () => [],
  delNeighbor: async () => [],
  addMembership: () => undefined,
  on: () => undefined,
  socket: { close: () => undefined, on: () => undefined },
}
const opens = async () => rt
const fails = async () => new Error('Cannot find module netlink')

describe('where address changes go (addressChanges)', () => {
  it('auto: rtnetlink when it opens, else ip -batch', async () => {
    expect((await addressBatch({ addressChanges: 'auto' }, 'x.yaml', () => undefined, opens)).path).toBe(
      'netlink',
    )
    expect((await addressBatch({ addressChanges: 'auto' }, 'x.yaml', () => undefined, fails)).path).toBe(
      'ip-batch',
    )
  })

  it('ip-batch: never opens rtnetlink', async () => {
    let opened = false
    const path = await addressBatch(
      { addressChanges: 'ip-batch' },
      'x.yaml',
      () => undefined,
      async () => {
        opened = true
        return rt
      },
    )
    expect(path.path).toBe('ip-batch')
    expect(opened).toBe(false)
  })

  it('netlink said outright and not loadable: a config error naming the field, with a way out', async () => {
    const error = await addressBatch({ addressChanges: 'netlink' }, 'x.yaml', () => undefined, fails).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({ file: 'x.yaml', path: 'addressChanges' })
    expect((error as Error).message).toContain('Cannot find module netlink')
    expect((error as ConfigError).hint).toMatch(/addressChanges: ip-batch/)
  })
})
