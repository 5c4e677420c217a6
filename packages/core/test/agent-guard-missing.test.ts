import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { simulatedAddressControl } from '../src/adapters/address/simulated-address-control.js'
import { generateKey, writeKeyFile } from '../src/adapters/key-file.js'
import { startAgent } from '../src/agent/agent.js'
import { IpfoError } from '../src/model/errors.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-guard-missing-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('an agent whose guard cannot run', () => {
  it('does not start, says which program is missing and how to get it, and has claimed nothing', async () => {
    const key = join(dir, 'heartbeat.key')
    await writeKeyFile(key, generateKey(), { force: true })
    const configFile = join(dir, 'a.json')
    const socket = join(dir, 'a.sock')
    await writeFile(
      configFile,
      JSON.stringify({
        node: 'a',
        key,
        links: [{ name: 'private', listen: '127.0.0.1', port: 19_411, targets: ['127.0.0.1:19412'] }],
        owns: [{ interface: 'demo0', address: '192.0.2.100/24' }],
        peers: [{ id: 'b' }],
        paths: { socket, stateDir: join(dir, 'state') },
        hooks: { dir: join(dir, 'no-hooks') },
      }),
    )
    const addresses = join(dir, 'addresses.json')
    const started = startAgent({
      configFile,
      platform: 'linux',
      address: simulatedAddressControl(addresses),
      guard: { command: 'ipfo-no-such-guard', args: [] },
      log: '/dev/null',
    })
    await expect(started).rejects.toThrow(IpfoError)
    await expect(started).rejects.toThrow(/^the guard's program, ipfo-no-such-guard, is not on PATH \(/)
    await expect(started).rejects.toMatchObject({ hint: expect.stringContaining('perl-base') })
    expect(existsSync(socket)).toBe(false)
    expect(existsSync(addresses)).toBe(false)
  })
})
