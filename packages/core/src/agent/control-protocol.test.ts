import { describe, expect, it } from 'vitest'
import { parseRequest } from './control-protocol.js'

describe('parseRequest: gc', () => {
  it('takes a gc request, with or without an absolute snapshotDir', () => {
    expect(parseRequest('{"id":1,"method":"gc"}')).toEqual({ id: 1, method: 'gc' })
    expect(parseRequest('{"id":2,"method":"gc","snapshotDir":"/var/tmp"}')).toEqual({
      id: 2,
      method: 'gc',
      snapshotDir: '/var/tmp',
    })
  })

  it('refuses a snapshotDir that is not an absolute path: the agent runs with / as its folder', () => {
    for (const snapshotDir of ['tmp', 7, ''])
      expect(parseRequest(JSON.stringify({ id: 3, method: 'gc', snapshotDir }))).toEqual({
        error: 'gc needs "snapshotDir" to be an absolute path',
      })
  })
})
