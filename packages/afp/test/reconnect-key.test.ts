import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type AfpNodeFixture,
  afpNode,
  afpPlistValue,
  bindMount,
  isRoot,
  type TestVolume,
} from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { checkAfp } from '../src/check.js'
import { AfpError } from '../src/errors.js'
import { nodeFs } from '../src/fs-port.js'
import { systemMountTable } from '../src/mounts.js'
import { readPlistFile } from '../src/plist/plist-file.js'
import { setReconnectKey } from '../src/reconnect-key.js'
import { afpStatus } from '../src/status.js'
import { faultyFs } from './fakes/faulty-fs.js'

const mounts = systemMountTable()
const deps = { fs: nodeFs, mounts }
let node: AfpNodeFixture | undefined
const extraVolumes: TestVolume[] = []
afterEach(async () => {
  for (const v of extraVolumes.splice(0)) await v.unmount().catch(() => undefined)
  await node?.cleanup()
  node = undefined
})

const verdicts = (report: Awaited<ReturnType<typeof checkAfp>>) =>
  Object.fromEntries(report.results.map((r) => [r.check, r.verdict]))

describe.skipIf(!isRoot)('the reconnect key on a real shared volume (tmpfs)', () => {
  describe.each(['xml', 'binary'] as const)('%s plist', (format) => {
    it('moves the key to the shared volume (0600, root) and points the plist at it, keeping every other key', async () => {
      node = await afpNode(format)
      const result = await setReconnectKey(deps, {
        plist: node.plist,
        target: node.sharedKey,
        moveExisting: true,
      })
      expect(result).toMatchObject({
        format,
        previous: node.key,
        location: node.sharedKey,
        changed: true,
        moved: true,
      })
      const after = await readPlistFile(nodeFs, node.plist)
      expect(after.format).toBe(format)
      expect(after.value).toEqual(afpPlistValue({ reconnectKeyLocation: node.sharedKey }))
      expect(new Uint8Array(await readFile(node.sharedKey))).toEqual(node.keyBytes)
      const key = await stat(node.sharedKey)
      expect([key.mode & 0o777, key.uid]).toEqual([0o600, 0])
      await expect(stat(node.key)).rejects.toMatchObject({ code: 'ENOENT' })
      expect((await stat(node.plist)).mode & 0o777).toBe(0o644)
      expect(result.backup).toMatch(/com\.apple\.AppleFileServer\.plist\.ipfo-backup-\d{8}T\d{6}Z$/)
      expect((await readPlistFile(nodeFs, result.backup as string)).value).toEqual(
        afpPlistValue({ reconnectKeyLocation: node.key }),
      )
    })
  })

  it('check: the key on the startup disk fails; on the shared volume every item passes', async () => {
    node = await afpNode('binary')
    const before = await checkAfp(deps, node.plist)
    expect(before.ok).toBe(false)
    expect(verdicts(before)).toEqual({
      plist: 'pass',
      'key-location': 'pass',
      'shared-volume': 'fail',
      'volume-mounted': 'fail',
      'key-permissions': 'pass',
      'reconnect-settings': 'pass',
    })
    expect(before.results.find((r) => r.check === 'volume-mounted')?.hint).toContain(
      'ipfo hooks add mount --address <ip> --phase PreAcq --option type=block',
    )
    await setReconnectKey(deps, { plist: node.plist, target: node.sharedKey, moveExisting: true })
    const after = await checkAfp(deps, node.plist)
    expect(after.ok).toBe(true)
    expect(after.results.every((r) => r.verdict === 'pass')).toBe(true)
    expect(after.results.find((r) => r.check === 'shared-volume')?.detail).toBe(
      `${node.sharedKey} is on ${node.shared.mountPoint} (ipfo-test, tmpfs), not the startup volume`,
    )
  })

  it('check: the default location, a missing mount, a bind mount, unsafe key permissions, reconnect turned off', async () => {
    node = await afpNode('xml', { reconnectKeyLocation: undefined as never })
    const fresh = await checkAfp(deps, node.plist)
    expect(fresh.reconnectKeyLocation).toBe('/private/etc/AFP.conf')
    expect(fresh.results.find((r) => r.check === 'key-location')).toMatchObject({
      verdict: 'fail',
      hint: 'ipfo afp reconnect-key set /Volumes/<shared volume>/AFP.conf --move-existing',
    })

    await setReconnectKey(deps, { plist: node.plist, target: node.sharedKey })
    await writeFile(node.sharedKey, node.keyBytes, { mode: 0o644 })
    await chmod(node.sharedKey, 0o644)
    const loose = await checkAfp(deps, node.plist)
    expect(loose.results.find((r) => r.check === 'key-permissions')).toMatchObject({
      verdict: 'fail',
      detail: `${node.sharedKey} has mode 0644: anyone who can read the reconnect key can take over AFP sessions`,
      hint: `sudo chmod 600 ${node.sharedKey}`,
    })

    await node.shared.unmount()
    const unmounted = await checkAfp(deps, node.plist)
    expect(unmounted.results.find((r) => r.check === 'volume-mounted')).toMatchObject({
      verdict: 'fail',
      detail: `the folder ${join(node.shared.mountPoint, 'AFP')} does not exist: is its volume mounted?`,
    })
    expect(unmounted.results.find((r) => r.check === 'shared-volume')?.verdict).toBe('fail')

    const bound = await bindMount(join(node.base, 'etc'), node.shared.mountPoint)
    extraVolumes.push(bound)
    const bind = await setReconnectKey(deps, {
      plist: node.plist,
      target: join(bound.mountPoint, 'AFP.conf'),
    }).catch((e) => e)
    expect(bind).toBeInstanceOf(AfpError)
    expect((bind as AfpError).message).toContain('is on the startup volume')
  })

  it('check: reconnect settings that make reconnection impossible', async () => {
    node = await afpNode('xml', { reconnectTTLInMin: 0, reconnectFlag: 'none' })
    const report = await checkAfp(deps, node.plist)
    expect(report.results.find((r) => r.check === 'reconnect-settings')).toMatchObject({
      verdict: 'fail',
      detail:
        'reconnectTTLInMin is 0: no disconnected session may resume; reconnectFlag is "none": reconnection is turned off',
    })
  })

  it('status shows the location, the TTL keys and whether the key exists', async () => {
    node = await afpNode('binary')
    expect(await afpStatus(deps, node.plist)).toEqual({
      plist: node.plist,
      format: 'binary',
      reconnectKeyLocation: node.key,
      locationIsDefault: false,
      reconnectTTLInMin: 1440,
      recon1SrvrKeyTTLHrs: 168,
      reconnectFlag: 'no_admin_kills',
      key: { exists: true, mode: '0600', uid: 0 },
      volume: { mountPoint: '/', source: expect.any(String), shared: false },
    })
  })
})

describe.skipIf(!isRoot)('bad input leaves everything as it was', () => {
  const refuses = async (request: Parameters<typeof setReconnectKey>[1], message: RegExp) => {
    const before = await node?.snapshot()
    const error = await setReconnectKey(deps, request).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AfpError)
    expect((error as AfpError).message).toMatch(message)
    expect((error as AfpError).hint).toBeTruthy()
    expect(await node?.snapshot()).toEqual(before)
    return error as AfpError
  }

  it('a target on the startup volume', async () => {
    node = await afpNode('xml')
    await refuses(
      { plist: node.plist, target: join(node.base, 'etc', 'elsewhere.conf'), moveExisting: true },
      /is on the startup volume \(\/\): the other node could not read the key there/,
    )
  })

  it('a target whose volume is not mounted', async () => {
    node = await afpNode('xml')
    await node.shared.unmount()
    await refuses(
      { plist: node.plist, target: node.sharedKey, moveExisting: true },
      /the folder .* does not exist/,
    )
  })

  it('a relative path, and a folder instead of a file', async () => {
    node = await afpNode('xml')
    await refuses({ plist: node.plist, target: 'AFP.conf' }, /is not an absolute path/)
    const folder = await refuses(
      { plist: node.plist, target: join(node.shared.mountPoint, 'AFP') },
      /is a folder/,
    )
    expect(folder.hint).toBe(`name the file, e.g. ${join(node.shared.mountPoint, 'AFP')}/AFP.conf`)
  })

  it('a plist that is not AppleFileServer’s, and a malformed one', async () => {
    node = await afpNode('xml')
    await writeFile(
      node.plist,
      '<plist version="1.0"><dict><key>LoginwindowText</key><string>hi</string></dict></plist>',
    )
    await refuses(
      { plist: node.plist, target: node.sharedKey, moveExisting: true },
      /is not AppleFileServer's plist/,
    )
    await writeFile(node.plist, '<plist version="1.0"><dict><key>afpTCPPort</key><integer>548</integer>')
    await refuses(
      { plist: node.plist, target: node.sharedKey, moveExisting: true },
      /:1: <dict> \(line 1\) is never closed/,
    )
  })

  it('a missing plist', async () => {
    node = await afpNode('xml')
    await refuses(
      { plist: join(node.base, 'nope.plist'), target: node.sharedKey },
      /cannot read .*nope\.plist: no such file or directory/,
    )
  })

  it('a different key already on the shared volume', async () => {
    node = await afpNode('binary')
    await writeFile(node.sharedKey, 'the other node key', { mode: 0o600 })
    await refuses(
      { plist: node.plist, target: node.sharedKey, moveExisting: true },
      /a different key is already at/,
    )
  })

  it('a read-only plist (its volume remounted read-only): the copied key is removed again', async () => {
    node = await afpNode('binary')
    const prefs = await bindMount(join(node.base, 'Preferences'), join(node.base, 'Preferences'))
    extraVolumes.push(prefs)
    await prefs.remount('ro')
    const error = await refuses(
      { plist: node.plist, target: node.sharedKey, moveExisting: true },
      /cannot write .* the volume is mounted read-only; the file is unchanged/,
    )
    expect(error.hint).toBe('remount it read-write')
    await expect(stat(node.sharedKey)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a full shared volume (a real ENOSPC on tmpfs)', async () => {
    node = await afpNode('xml')
    await writeFile(join(node.shared.mountPoint, 'filler'), Buffer.alloc(256 * 1024 - 4096)).catch(
      () => undefined,
    )
    await writeFile(join(node.shared.mountPoint, 'filler2'), Buffer.alloc(8192)).catch(() => undefined)
    await refuses({ plist: node.plist, target: node.sharedKey, moveExisting: true }, /the disk is full/)
  })

  it('a failure at every write step of set --move-existing (key copy, plist backup, plist) changes nothing', async () => {
    const probe = faultyFs(nodeFs, Number.POSITIVE_INFINITY)
    node = await afpNode('binary')
    await setReconnectKey(
      { fs: probe.fs, mounts },
      { plist: node.plist, target: node.sharedKey, moveExisting: true },
    )
    await node.cleanup()
    expect(probe.steps.filter((s) => s.startsWith('rename'))).toHaveLength(2)
    for (let failAt = 1; failAt <= probe.steps.length; failAt++) {
      node = await afpNode('binary')
      const faulty = faultyFs(nodeFs, failAt, 'ENOSPC')
      const before = await node.snapshot()
      const outcome = await setReconnectKey(
        { fs: faulty.fs, mounts },
        { plist: node.plist, target: node.sharedKey, moveExisting: true },
      ).catch((e: unknown) => e)
      const step = faulty.failed() as string
      expect(step, `step ${failAt} of ${probe.steps.join(', ')}`).toBeDefined()
      if (step.startsWith('syncDirectory')) {
        // After its rename a write is done; a failed directory fsync is reported, not undone.
        expect(outcome).toMatchObject({
          changed: true,
          moved: true,
          notes: [expect.stringContaining('could not be fsynced')],
        })
      } else {
        expect(outcome, `failure at ${step}`).toBeInstanceOf(AfpError)
        expect(await node.snapshot(), `after a failure at ${step}`).toEqual(before)
      }
      await node.cleanup()
      node = undefined
    }
  })
})
