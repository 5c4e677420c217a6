import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { nodeFs, setReconnectKey, systemMountTable } from '@ipfo/afp'
import { type AfpNodeFixture, afpNode, isRoot, RecordingRunner } from '@ipfo/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { afpHook, runAfpHook } from '../src/hooks/afp.js'
import { systemDeps } from '../src/main.js'
import { parseHookOptions } from '../src/sidecar.js'

const mounts = systemMountTable()
const options = (raw: Record<string, unknown>) => parseHookOptions(afpHook, raw)

/** serveradmin's replies, as recorded on Mac OS X Server 10.6 (`sudo serveradmin start afp`, ...). */
function serveradmin(state: { afterStart: string } = { afterStart: 'RUNNING' }) {
  return new RecordingRunner()
    .respond('serveradmin stop afp', { stdout: 'afp:state = "STOPPED"\n' })
    .respond('serveradmin start afp', { stdout: `afp:state = "${state.afterStart}"\n` })
    .respond('serveradmin status afp', { stdout: `afp:state = "${state.afterStart}"\n` })
}

let node: AfpNodeFixture | undefined
afterEach(async () => {
  await node?.cleanup()
  node = undefined
})

describe.skipIf(!isRoot)('afp hook, macOS Server (serveradmin recorded), real shared volume', () => {
  const io = { fs: nodeFs, mounts, platform: 'darwin' as const }

  it('PostAcq: with the key on the shared volume, restarts AFP (stop, start, status)', async () => {
    node = await afpNode('binary')
    await setReconnectKey(io, { plist: node.plist, target: node.sharedKey, moveExisting: true })
    const runner = serveradmin()
    const outcome = await runAfpHook(
      'acquire',
      options({ plist: node.plist }),
      systemDeps({}, { runner, note: () => {} }),
      io,
    )
    expect(runner.lines()).toEqual([
      'serveradmin stop afp',
      'serveradmin start afp',
      'serveradmin status afp',
    ])
    expect(outcome).toEqual({
      ok: true,
      summary: `reconnect key ${node.sharedKey} is on ${node.shared.mountPoint}; AFP restarted (RUNNING)`,
    })
  })

  it('refuses to restart AFP when the key is on the startup disk, and says how to fix it', async () => {
    node = await afpNode('xml')
    const runner = serveradmin()
    const outcome = await runAfpHook(
      'acquire',
      options({ plist: node.plist }),
      systemDeps({}, { runner }),
      io,
    )
    expect(runner.lines()).toEqual([])
    expect(outcome).toEqual({
      ok: false,
      summary: `the AFP reconnect key ${node.key} is not on a shared volume (it is on the startup volume): sessions would not survive; mount it in PreAcq (ipfo afp check)`,
    })
  })

  it('fails when the shared volume is not mounted (the PreAcq mount hook did not run)', async () => {
    node = await afpNode('xml')
    await setReconnectKey(io, { plist: node.plist, target: node.sharedKey, moveExisting: true })
    await node.shared.unmount()
    const outcome = await runAfpHook(
      'acquire',
      options({ plist: node.plist }),
      systemDeps({}, { runner: serveradmin() }),
      io,
    )
    expect(outcome.ok).toBe(false)
    expect(outcome.summary).toContain('is not on a shared volume')
  })

  it('fails when AFP does not come back RUNNING', async () => {
    node = await afpNode('xml')
    await setReconnectKey(io, { plist: node.plist, target: node.sharedKey, moveExisting: true })
    const runner = serveradmin({ afterStart: 'STOPPED' })
    const outcome = await runAfpHook(
      'acquire',
      options({ plist: node.plist }),
      systemDeps({}, { runner, note: () => {} }),
      io,
    )
    expect(outcome).toEqual({ ok: false, summary: 'serveradmin start afp left AFP STOPPED, not RUNNING' })
  })

  it('release stops AFP; onRelease none leaves it', async () => {
    const runner = serveradmin()
    const stop = await runAfpHook('release', options({}), systemDeps({}, { runner }), io)
    expect(stop).toEqual({ ok: true, summary: 'serveradmin stop afp: STOPPED' })
    const none = await runAfpHook('release', options({ onRelease: 'none' }), systemDeps({}, { runner }), io)
    expect(none.ok).toBe(true)
    expect(runner.lines()).toEqual(['serveradmin stop afp'])
  })
})

describe.skipIf(!isRoot)('afp hook, Netatalk (systemctl recorded), real shared volume', () => {
  const io = { fs: nodeFs, mounts, platform: 'linux' as const }

  async function netatalkNode(
    dbpath: (sharedRoot: string) => string,
    signature = 'signature = ipfo-pair-01\n',
  ) {
    node = await afpNode('xml')
    const conf = join(node.base, 'afp.conf')
    const share = join(node.shared.mountPoint, 'Projects')
    await mkdir(share)
    await writeFile(
      conf,
      `; netatalk\n[Global]\n${signature}vol dbpath = ${dbpath(node.shared.mountPoint)}\n\n[Projects]\npath = ${share}\n`,
    )
    return conf
  }

  it('restarts netatalk when the signature is fixed and the CNID databases are on the shared volume', async () => {
    const conf = await netatalkNode((shared) => `${shared}/CNID/$v/`)
    const runner = new RecordingRunner()
    const outcome = await runAfpHook(
      'acquire',
      options({ conf, voluuid: '/nonexistent' }),
      systemDeps({}, { runner, note: () => {} }),
      io,
    )
    expect(runner.lines()).toEqual([
      'systemctl restart netatalk.service',
      'systemctl is-active netatalk.service',
    ])
    expect(outcome).toEqual({
      ok: true,
      summary: `${conf}: fixed signature, CNID databases on shared storage; systemctl restart netatalk.service: done`,
    })
  })

  it('refuses when the CNID databases are on the startup disk or no signature is set', async () => {
    const conf = await netatalkNode(() => '/var/lib/netatalk/CNID/', '')
    const runner = new RecordingRunner()
    const outcome = await runAfpHook(
      'acquire',
      options({ conf, voluuid: '/nonexistent' }),
      systemDeps({}, { runner }),
      io,
    )
    expect(runner.lines()).toEqual([])
    expect(outcome.ok).toBe(false)
    expect(outcome.summary).toContain('sets no signature')
    expect(outcome.summary).toContain('/var/lib/netatalk/CNID')
  })
})

describe.skipIf(!isRoot)('afp hook, Netatalk: only what breaks every session blocks the restart', () => {
  it('a volume missing from afp_voluuid.conf is noted, and netatalk is still restarted', async () => {
    node = await afpNode('xml')
    const conf = join(node.base, 'afp.conf')
    const voluuid = join(node.base, 'afp_voluuid.conf')
    await mkdir(join(node.shared.mountPoint, 'Projects'))
    await writeFile(
      conf,
      `[Global]\nsignature = ipfo-pair-01\nvol dbpath = ${node.shared.mountPoint}/CNID/$v/\n[Projects]\npath = ${node.shared.mountPoint}/Projects\n`,
    )
    await writeFile(voluuid, '"Other" 1573974F-0ABD-69CC-C40A-8519B681A0E1\n')
    const notes: string[] = []
    const runner = new RecordingRunner()
    const outcome = await runAfpHook(
      'acquire',
      options({ conf, voluuid }),
      systemDeps({}, { runner, note: (l) => notes.push(l) }),
      { fs: nodeFs, mounts, platform: 'linux' },
    )
    expect(outcome.ok).toBe(true)
    expect(runner.lines()).toEqual([
      'systemctl restart netatalk.service',
      'systemctl is-active netatalk.service',
    ])
    expect(notes.some((n) => n.startsWith('afp: ') && n.includes('Projects'))).toBe(true)
  })
})
