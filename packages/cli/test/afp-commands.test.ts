import { readFile, stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { AfpCheckReport, AfpStatus, SetReconnectKeyResult } from '@ipfo/afp'
import { type AfpNodeFixture, afpNode, afpPlistValue, isRoot } from '@ipfo/testkit'
import { runCommand } from '@oclif/test'
import { parse } from 'plist'
import { afterEach, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const ipfo = <T>(args: string[]) => runCommand<T>(args, { root })

let node: AfpNodeFixture | undefined
afterEach(async () => {
  await node?.cleanup()
  node = undefined
})

describe.skipIf(!isRoot)('ipfo afp (through oclif, on a real tmpfs shared volume)', () => {
  it('afp status --json returns the location, the TTL keys and the key state', async () => {
    node = await afpNode('binary')
    const { result, error } = await ipfo<AfpStatus>(['afp', 'status', '--plist', node.plist, '--json'])
    expect(error).toBeUndefined()
    expect(result).toMatchObject({
      format: 'binary',
      reconnectKeyLocation: node.key,
      locationIsDefault: false,
      reconnectTTLInMin: 1440,
      recon1SrvrKeyTTLHrs: 168,
      reconnectFlag: 'no_admin_kills',
      key: { exists: true, mode: '0600', uid: 0 },
      volume: { mountPoint: '/', shared: false },
    })
  })

  it('afp check fails (exit 1) with a verdict per item, then reconnect-key set --move-existing fixes it', async () => {
    node = await afpNode('xml')
    const before = await ipfo<AfpCheckReport>(['afp', 'check', '--plist', node.plist])
    expect(before.result?.ok).toBe(false)
    expect(before.stdout).toMatch(/FAIL {2}shared-volume +.* the other node cannot read it/)
    expect(before.stdout).toContain('-> put the key on storage both nodes mount')

    const set = await ipfo<SetReconnectKeyResult>([
      'afp',
      'reconnect-key',
      'set',
      node.sharedKey,
      '--plist',
      node.plist,
      '--move-existing',
      '--json',
    ])
    expect(set.error).toBeUndefined()
    expect(set.result).toMatchObject({
      format: 'xml',
      previous: node.key,
      location: node.sharedKey,
      changed: true,
      moved: true,
    })
    expect(parse(await readFile(node.plist, 'utf8'))).toEqual(
      afpPlistValue({ reconnectKeyLocation: node.sharedKey }),
    )
    expect((await stat(node.sharedKey)).mode & 0o777).toBe(0o600)

    const after = await ipfo<AfpCheckReport>(['afp', 'check', '--plist', node.plist, '--json'])
    expect(after.result?.ok).toBe(true)
    expect(after.result?.results.map((r) => r.verdict)).toEqual([
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
    ])

    const again = await ipfo<SetReconnectKeyResult>([
      'afp',
      'reconnect-key',
      'set',
      node.sharedKey,
      '--plist',
      node.plist,
      '--json',
    ])
    expect(again.result).toMatchObject({ changed: false, moved: false })
  })

  it('a target on the startup volume: one line, a hint, exit 3, the plist untouched', async () => {
    node = await afpNode('binary')
    const before = await node.snapshot()
    const { error, stderr } = await ipfo([
      'afp',
      'reconnect-key',
      'set',
      `${node.base}/etc/x.conf`,
      '--plist',
      node.plist,
    ])
    expect(error?.oclif?.exit).toBe(3)
    expect(stderr).toMatch(
      /^ipfo: .*x\.conf is on the startup volume \(\/\): the other node could not read the key there \(at reconnectKeyLocation\)\nhint: choose a path on a volume both nodes mount/,
    )
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(await node.snapshot()).toEqual(before)
  })

  it('a malformed plist with --json: the error as JSON, exit 3', async () => {
    node = await afpNode('xml')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(node.plist, '<plist><dict><key>afpTCPPort</key><integer>548</dict></plist>')
    const { stdout, error } = await ipfo(['afp', 'status', '--plist', node.plist, '--json'])
    expect(error?.oclif?.exit).toBe(3)
    expect(JSON.parse(stdout)).toEqual({
      error: {
        kind: 'AfpError',
        message: `${node.plist}:1: <integer> (line 1) is closed by </dict>`,
        hint: 'the plist is not well-formed XML: restore it from a backup, or check it with `plutil -lint` on a Mac',
        exitCode: 3,
      },
    })
  })
})

const AFP_CONF = (shared: string) => `; Netatalk 3 configuration — edited by hand, keep these notes
[Global]
  log file = /var/log/afpd.log
  # the signature is set by ipfo below
  vol dbpath = ${shared}/CNID/$v/

[Projects]
  path = ${shared}/Projects   ; the shared projects
  time machine = no

[Homes]
  basedir regex = /home
`
const VOLUUID = '# afpd\n"Projects" 1573974F-0ABD-69CC-C40A-8519B681A0E1\n'

describe.skipIf(!isRoot)('ipfo afp netatalk (through oclif)', () => {
  async function pair() {
    node = await afpNode('xml')
    const { mkdir, writeFile } = await import('node:fs/promises')
    const shared = node.shared.mountPoint
    await mkdir(`${shared}/Projects`)
    const files = {
      conf: `${node.base}/afp.conf`,
      voluuid: `${node.base}/afp_voluuid.conf`,
      peerConf: `${node.base}/beta-afp.conf`,
      peerVoluuid: `${node.base}/beta-afp_voluuid.conf`,
    }
    await writeFile(files.conf, AFP_CONF(shared))
    await writeFile(files.voluuid, VOLUUID)
    await writeFile(files.peerConf, AFP_CONF(shared))
    await writeFile(files.peerVoluuid, VOLUUID.replace('1573974F', '99999999'))
    return files
  }
  const check = (f: Awaited<ReturnType<typeof pair>>) =>
    ipfo<{ ok: boolean; results: { check: string; verdict: string; detail: string; hint?: string }[] }>([
      'afp',
      'netatalk',
      'check',
      '--conf',
      f.conf,
      '--voluuid',
      f.voluuid,
      '--name',
      'alpha',
      '--peer-conf',
      f.peerConf,
      '--peer-voluuid',
      f.peerVoluuid,
      '--peer-name',
      'beta',
      '--json',
    ])

  it('check compares both nodes: no signature and different volume UUIDs fail, CNID on the shared volume passes', async () => {
    const f = await pair()
    const { result } = await check(f)
    expect(result?.ok).toBe(false)
    const verdict = (id: string) => result?.results.find((r) => r.check === id)?.verdict
    expect(verdict('netatalk.signature.local')).toBe('fail')
    expect(verdict('netatalk.voluuid.pair')).toBe('fail')
    expect(verdict('netatalk.cnid.local')).toBe('pass')
    expect(result?.results.find((r) => r.check === 'netatalk.voluuid.pair')?.detail).toContain('Projects')
  })

  it('configure sets the signature on both nodes keeping every comment and line; then check passes', async () => {
    const f = await pair()
    const { readFile, writeFile } = await import('node:fs/promises')
    const before = await readFile(f.conf, 'utf8')
    const dry = await ipfo<{ changes: unknown[] }>([
      'afp',
      'netatalk',
      'configure',
      '--conf',
      f.conf,
      '--signature',
      'ipfo-pair-01',
      '--dry-run',
      '--json',
    ])
    expect(dry.result?.changes).toEqual([
      { section: 'Global', name: 'signature', from: undefined, to: 'ipfo-pair-01' },
    ])
    expect(await readFile(f.conf, 'utf8')).toBe(before)

    for (const conf of [f.conf, f.peerConf]) {
      const { result, error } = await ipfo<{ backup: string }>([
        'afp',
        'netatalk',
        'configure',
        '--conf',
        conf,
        '--signature',
        'ipfo-pair-01',
        '--json',
      ])
      expect(error).toBeUndefined()
      expect(result?.backup).toMatch(/\.ipfo-backup-\d{8}T\d{6}Z(-\d+)?$/)
    }
    const after = await readFile(f.conf, 'utf8')
    expect(after).toBe(before.replace('$v/\n', '$v/\n  signature = ipfo-pair-01\n'))
    await writeFile(f.peerVoluuid, VOLUUID)
    const { result } = await check(f)
    expect(result?.results.filter((r) => r.verdict === 'fail')).toEqual([])
    expect(result?.ok).toBe(true)
  })

  it('a broken afp.conf line: exit 3, naming the file and line, nothing written', async () => {
    const f = await pair()
    const { readFile, writeFile } = await import('node:fs/promises')
    await writeFile(f.conf, `${AFP_CONF(node?.shared.mountPoint ?? '')}this line is not a setting\n`)
    const before = await readFile(f.conf, 'utf8')
    const { error, stderr } = await ipfo([
      'afp',
      'netatalk',
      'configure',
      '--conf',
      f.conf,
      '--generate-signature',
    ])
    expect(error?.oclif?.exit).toBe(3)
    expect(stderr).toMatch(new RegExp(`^ipfo: ${f.conf}:13: "this line is not a setting" is not a comment`))
    expect(stderr).toContain('hint: ')
    expect(await readFile(f.conf, 'utf8')).toBe(before)
  })
})

describe('ipfo hooks add afp', () => {
  it('installs the afp hook for PostAcq with its options in a private sidecar', async () => {
    const { mkdtemp, readFile, rm, stat } = await import('node:fs/promises')
    const dir = await mkdtemp('/tmp/ipfo-afp-hook-')
    try {
      const { result, error } = await ipfo<{ script: string; sidecar: string; bin: string }>([
        'hooks',
        'add',
        'afp',
        '--phase',
        'PostAcq',
        '--address',
        '10.0.0.100',
        '--option',
        'server=netatalk',
        '--option',
        'unit=netatalk.service',
        '--dir',
        dir,
        '--json',
      ])
      expect(error).toBeUndefined()
      expect(result?.script).toBe('PostAcq-50-afp')
      expect(result?.bin).toMatch(/hooks-stdlib\/dist\/bin\/afp\.js$/)
      expect(JSON.parse(await readFile(result?.sidecar as string, 'utf8'))).toEqual({
        server: 'netatalk',
        unit: 'netatalk.service',
      })
      expect((await stat(result?.sidecar as string)).mode & 0o777).toBe(0o600)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
