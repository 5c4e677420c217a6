/*
 * The macOS side of the mount and unmount hooks, against recorded command output. One file (over
 * 350 lines) because mounting, unmounting and reading the mount table all replay the same macOS
 * fixtures below: `mount`, `diskutil`, `umount` and `lsof` output for one pair of disks and hosts.
 */
import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { readHookEvent } from '../define-hook.js'
import { HookInputError } from '../errors.js'
import { parseHookOptions } from '../sidecar.js'
import { darwinMountCommands, deviceNode, findDarwinMount } from './darwin-mounts.js'
import { createMountHook, mountHook, mountVolume } from './mount.js'
import { unmountVolume } from './unmount.js'

/*
 * Recorded-style fixtures: macOS 14 output in the formats `mount`, `diskutil`, `umount` and `lsof`
 * print (taken from Apple's man pages and published transcripts of those tools), with this test's
 * disks and hosts. They were not captured on a Mac by this suite; see the report of the change.
 */
const SYSTEM = `/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
devfs on /dev (devfs, local, nobrowse)
/dev/disk3s6 on /System/Volumes/VM (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk3s2 on /System/Volumes/Preboot (apfs, local, journaled, nobrowse)
/dev/disk3s4 on /System/Volumes/Update (apfs, local, journaled, nobrowse)
/dev/disk1s2 on /System/Volumes/xarts (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk1s1 on /System/Volumes/iSCPreboot (apfs, local, journaled, nobrowse)
/dev/disk1s3 on /System/Volumes/Hardware (apfs, local, journaled, nobrowse)
/dev/disk3s5 on /System/Volumes/Data (apfs, local, journaled, nobrowse, protect, root data)
map auto_home on /System/Volumes/Data/home (autofs, automounted, nobrowse)
`
const withShared = (line: string) => ({ stdout: `${SYSTEM}${line}\n` })
const SHARED_APFS = withShared('/dev/disk5s1 on /Volumes/Shared (apfs, local, journaled)')
const SHARED_NFS = withShared('nas.example.com:/export/data on /Volumes/data (nfs)')
const SHARED_SMB = withShared('//ipfo@NAS.example.com/Data on /Volumes/data (smbfs, nodev, nosuid)')
const UUID = 'C5A8D5E4-8D3E-4E0B-9A0C-3F1D2B7A6E10'
const INFO_PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>APFSContainerReference</key>
	<string>disk5</string>
	<key>DeviceIdentifier</key>
	<string>disk5s1</string>
	<key>DeviceNode</key>
	<string>/dev/disk5s1</string>
	<key>FilesystemType</key>
	<string>apfs</string>
	<key>MountPoint</key>
	<string></string>
	<key>VolumeName</key>
	<string>Shared</string>
	<key>VolumeUUID</key>
	<string>${UUID}</string>
</dict>
</plist>
`
const DISKUTIL_BUSY = {
  exitCode: 1,
  stderr:
    'Unmount failed for /Volumes/Shared\nVolume Shared on disk5s1 failed to unmount: dissented by PID 4242 (/bin/zsh)\n',
}
const UMOUNT_BUSY = {
  exitCode: 1,
  stderr: "umount(/Volumes/data): Resource busy -- try 'diskutil unmount'\n",
}
const LSOF_PIDS = { stdout: '4242\n4243\n' }

const options = (raw: Record<string, unknown>) => parseHookOptions(mountHook, { mkdir: false, ...raw })
const darwin = { platform: 'darwin' as const, note: () => {} }

/** A clock that only moves when the code under test sleeps. */
function fakeTime() {
  let now = 0
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms
    },
  }
}

describe('darwinMountCommands', () => {
  it('uses diskutil for a block device and mount -t nfs|smbfs for shares', () => {
    const block = options({
      type: 'block',
      source: UUID,
      target: '/Volumes/Shared',
      mountOptions: 'nobrowse',
    })
    expect(darwinMountCommands(block)).toEqual([
      ['diskutil', ['mount', '-mountOptions', 'nobrowse', '-mountPoint', '/Volumes/Shared', UUID]],
    ])
    const nfs = options({ type: 'nfs', source: 'nas.example.com:/export/data', target: '/Volumes/data' })
    expect(darwinMountCommands({ ...nfs, mountOptions: ['vers=4', 'soft'] })).toEqual([
      ['mount', ['-t', 'nfs', '-o', 'vers=4,soft', 'nas.example.com:/export/data', '/Volumes/data']],
    ])
    const smb = options({ type: 'smb', source: '//ipfo@nas.example.com/Data', target: '/Volumes/data' })
    expect(darwinMountCommands(smb)).toEqual([
      ['mount', ['-t', 'smbfs', '//ipfo@nas.example.com/Data', '/Volumes/data']],
    ])
  })
})

describe('macOS refusals', () => {
  const cases: [Record<string, unknown>, RegExp, RegExp][] = [
    [{ type: 'bind', source: '/data' }, /type "bind" cannot be used: macOS has no bind mounts/, /block/],
    [{ type: 'tmpfs', source: 'scratch' }, /type "tmpfs" cannot be used/, /"block", "nfs" or "smb"/],
    [
      { type: 'smb', source: '//nas/data', credentialsFile: '/etc/ipfo/nas.cred' },
      /"credentialsFile" cannot be used/,
      /System keychain.*\/\/user@server\/share/,
    ],
    [{ type: 'nfs', source: 'nas:/export', fstype: 'nfs4' }, /fstype "nfs4"/, /"vers=4"/],
    [{ type: 'block', source: '/dev/disk5s1', fstype: 'exfat' }, /fstype "exfat"/, /"apfs".*"hfs"/],
    [{ type: 'block', source: '/dev/disk5s1', fsck: true }, /"fsck" needs "fstype"/, /"fstype": "apfs"/],
  ]

  it.each(cases)(
    'refuses %j before running anything, naming the option and the fix',
    async (raw, message, hint) => {
      const o = options({ target: '/Volumes/Shared', ...raw })
      const runner = new RecordingRunner()
      const mounting = mountVolume(o, { ...darwin, runner })
      await expect(mounting).rejects.toThrow(HookInputError)
      await expect(mounting).rejects.toThrow(message)
      await mounting.catch((error: HookInputError) => expect(error.hint).toMatch(hint))
      await expect(unmountVolume(o, { ...darwin, ...fakeTime(), runner })).rejects.toThrow(message)
      expect(runner.lines()).toEqual([])
    },
  )

  it('refuses a password inside an SMB source on every platform', () => {
    expect(() => options({ type: 'smb', source: '//ipfo:secret@nas/data', target: '/Volumes/data' })).toThrow(
      /no password in source/,
    )
  })
})

describe('mountVolume on macOS', () => {
  it('finds the device of a volume UUID, checks it with fsck_apfs -y, mounts it with diskutil', async () => {
    const runner = new RecordingRunner()
      .respond('/sbin/mount', { stdout: SYSTEM }, { times: 1 })
      .respond('/sbin/mount', SHARED_APFS)
      .respond(`diskutil info -plist ${UUID}`, { stdout: INFO_PLIST })
      .respond('fsck_apfs', { stdout: '** The volume /dev/rdisk5s1 with UUID ... appears to be OK.\n' })
      .respond('diskutil mount', { stdout: 'Volume Shared on disk5s1 mounted\n' })
    const o = options({ type: 'block', source: UUID, target: '/Volumes/Shared', fsck: true, fstype: 'apfs' })
    expect(await mountVolume(o, { ...darwin, runner })).toEqual({
      ok: true,
      summary: `mounted ${UUID} on /Volumes/Shared (apfs)`,
    })
    expect(runner.lines()).toEqual([
      '/sbin/mount',
      `diskutil info -plist ${UUID}`,
      'fsck_apfs -y /dev/disk5s1',
      `diskutil mount -mountPoint /Volumes/Shared ${UUID}`,
      '/sbin/mount',
      `diskutil info -plist ${UUID}`,
    ])
  })

  it('does not mount an HFS+ device fsck_hfs -fy could not repair', async () => {
    const runner = new RecordingRunner()
      .respond('/sbin/mount', { stdout: SYSTEM })
      .respond('fsck_hfs', { exitCode: 8, stdout: '** The volume Shared could not be repaired.\n' })
    const o = options({
      type: 'block',
      source: 'disk5s2',
      target: '/Volumes/Shared',
      fsck: true,
      fstype: 'hfs',
    })
    expect(await mountVolume(o, { ...darwin, runner })).toEqual({
      ok: false,
      summary:
        'fsck_hfs -fy /dev/disk5s2 failed (exit 8): ** The volume Shared could not be repaired.; not mounted',
    })
    expect(runner.lines()).toEqual(['/sbin/mount', 'fsck_hfs -fy /dev/disk5s2'])
  })

  it('mounts an SMB share with mount -t smbfs and recognises it however macOS spells it', async () => {
    const runner = new RecordingRunner()
      .respond('/sbin/mount', { stdout: SYSTEM }, { times: 1 })
      .respond('/sbin/mount', SHARED_SMB)
    const o = options({
      type: 'smb',
      source: '//nas.example.com/data',
      target: '/Volumes/data',
      mountOptions: 'soft',
    })
    expect(await mountVolume(o, { ...darwin, runner })).toEqual({
      ok: true,
      summary: 'mounted //nas.example.com/data on /Volumes/data (smbfs)',
    })
    expect(runner.lines()).toEqual([
      '/sbin/mount',
      'mount -t smbfs -o soft //nas.example.com/data /Volumes/data',
      '/sbin/mount',
    ])
  })

  it('succeeds without mounting when the same source is there, fails when another is', async () => {
    const nfs = options({ type: 'nfs', source: 'nas.example.com:/export/data', target: '/Volumes/data' })
    const same = new RecordingRunner().respond('/sbin/mount', SHARED_NFS)
    expect(await mountVolume(nfs, { ...darwin, runner: same })).toEqual({
      ok: true,
      summary: 'nas.example.com:/export/data is already mounted on /Volumes/data',
    })
    const block = options({ type: 'block', source: '/dev/disk6s1', target: '/Volumes/Shared' })
    const other = new RecordingRunner().respond('/sbin/mount', SHARED_APFS)
    expect(await mountVolume(block, { ...darwin, runner: other })).toEqual({
      ok: false,
      summary: '/Volumes/Shared already has /dev/disk5s1 (apfs) mounted, not /dev/disk6s1; left as it is',
    })
    expect(other.lines()).toEqual(['/sbin/mount'])
  })

  it('fails when the mount succeeds but the table does not show it, and when the table cannot be read', async () => {
    const o = options({ type: 'nfs', source: 'nas.example.com:/export/data', target: '/Volumes/data' })
    const silent = new RecordingRunner().respond('/sbin/mount', { stdout: SYSTEM })
    expect(await mountVolume(o, { ...darwin, runner: silent })).toEqual({
      ok: false,
      summary: 'mount said yes but /sbin/mount does not show nas.example.com:/export/data on /Volumes/data',
    })
    const broken = new RecordingRunner().respond('/sbin/mount', {
      exitCode: 1,
      stderr: 'mount: getmntinfo failed',
    })
    await expect(mountVolume(o, { ...darwin, runner: broken })).rejects.toThrow(
      '/sbin/mount failed (exit 1): mount: getmntinfo failed: cannot tell what is mounted on /Volumes/data',
    )
  })
})

describe('unmountVolume on macOS', () => {
  it('escalates: diskutil unmount, the grace, lsof + SIGTERM, SIGKILL, last diskutil unmount force', async () => {
    const runner = new RecordingRunner()
      .respond('/sbin/mount', SHARED_APFS, { times: 1 })
      .respond('/sbin/mount', { stdout: SYSTEM })
      .respond('diskutil unmount /Volumes/Shared', DISKUTIL_BUSY)
      .respond('lsof', LSOF_PIDS)
      .respond('diskutil unmount force', { stdout: 'Volume Shared on disk5s1 force-unmounted\n' })
    const notes: string[] = []
    const o = options({
      type: 'block',
      source: '/dev/disk5s1',
      target: '/Volumes/Shared',
      grace: '1s',
      killAfter: '400ms',
    })
    const outcome = await unmountVolume(o, { ...darwin, ...fakeTime(), runner, note: (l) => notes.push(l) })
    expect(runner.lines().filter((l) => l !== 'diskutil unmount /Volumes/Shared')).toEqual([
      '/sbin/mount',
      'lsof -t +f -- /Volumes/Shared',
      'kill -TERM 4242 4243',
      'lsof -t +f -- /Volumes/Shared',
      'kill -KILL 4242 4243',
      'diskutil unmount force /Volumes/Shared',
      '/sbin/mount',
    ])
    // 1 + 5 (grace) + 2 (after TERM) + 3 (after KILL) tries, as on Linux.
    expect(runner.lines().filter((l) => l === 'diskutil unmount /Volumes/Shared')).toHaveLength(11)
    expect(outcome).toEqual({
      ok: true,
      summary:
        'FORCIBLY unmounted /Volumes/Shared (diskutil unmount force /Volumes/Shared): something still held it',
    })
    expect(notes).toContain('mount: sent SIGTERM to the processes using /Volumes/Shared: 4242 4243')
    expect(notes.at(-1)).toMatch(
      /WARNING: \/Volumes\/Shared could not be unmounted cleanly and was force-unmounted/,
    )
  })

  it('stops the users of a busy share with umount, then unmounts it without forcing', async () => {
    const runner = new RecordingRunner()
      .respond('/sbin/mount', SHARED_NFS, { times: 1 })
      .respond('/sbin/mount', { stdout: SYSTEM })
      .respond('umount /Volumes/data', UMOUNT_BUSY, { times: 6 })
      .respond('lsof', { exitCode: 0, stdout: '4242\n' })
    const o = options({
      type: 'nfs',
      source: 'nas.example.com:/export/data',
      target: '/Volumes/data',
      grace: '1s',
    })
    const outcome = await unmountVolume(o, { ...darwin, ...fakeTime(), runner })
    expect(outcome).toEqual({ ok: true, summary: 'unmounted /Volumes/data after stopping process 4242' })
    expect(runner.lines().filter((l) => l !== 'umount /Volumes/data')).toEqual([
      '/sbin/mount',
      'lsof -t +f -- /Volumes/data',
      'kill -TERM 4242',
      '/sbin/mount',
    ])
  })

  it('succeeds at once when nothing is mounted, and leaves a foreign mount alone', async () => {
    const o = options({ type: 'smb', source: '//ipfo@nas.example.com/other', target: '/Volumes/data' })
    const none = new RecordingRunner().respond('/sbin/mount', { stdout: SYSTEM })
    expect(await unmountVolume(o, { ...darwin, ...fakeTime(), runner: none })).toEqual({
      ok: true,
      summary: '/Volumes/data is not mounted',
    })
    const other = new RecordingRunner().respond('/sbin/mount', SHARED_SMB)
    expect(await unmountVolume(o, { ...darwin, ...fakeTime(), runner: other })).toEqual({
      ok: false,
      summary:
        '/Volumes/data has //ipfo@NAS.example.com/Data mounted, not //ipfo@nas.example.com/other; left mounted',
    })
    expect(other.lines()).toEqual(['/sbin/mount'])
  })
})

describe('the macOS mount table', () => {
  it('matches a target through a symlinked folder (/tmp is /private/tmp) and takes the top of a stack', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-darwin-'))
    try {
      await mkdir(join(dir, 'private'))
      await symlink(join(dir, 'private'), join(dir, 'tmp'))
      const real = join(await realpath(join(dir, 'private')), 'mnt')
      const runner = new RecordingRunner().respond('/sbin/mount', {
        stdout: `${SYSTEM}/dev/disk5s1 on ${real} (apfs, local, journaled)\n/dev/disk6s1 on ${real} (hfs, local, journaled)\n`,
      })
      expect(await findDarwinMount(runner, join(dir, 'tmp', 'mnt'))).toEqual({
        target: real,
        source: '/dev/disk6s1',
        fstype: 'hfs',
        options: '',
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('names a block source as mount shows it', async () => {
    const runner = new RecordingRunner()
      .respond(`diskutil info -plist ${UUID}`, { stdout: INFO_PLIST })
      .respond('diskutil info', { exitCode: 1, stderr: 'Could not find disk: Shared2\n' })
    expect(await deviceNode(runner, '/dev/rdisk5s1')).toBe('/dev/disk5s1')
    expect(await deviceNode(runner, 'disk5s1')).toBe('/dev/disk5s1')
    expect(await deviceNode(runner, UUID)).toBe('/dev/disk5s1')
    expect(await deviceNode(runner, 'Shared2')).toBeUndefined()
  })
})

describe('createMountHook', () => {
  it('uses the macOS tools when built for darwin, and does nothing as a Test gate', async () => {
    const hook = createMountHook({ platform: 'darwin' })
    const runner = new RecordingRunner().respond('/sbin/mount', SHARED_NFS)
    const deps = { runner, env: {}, fetch, print: () => {}, note: () => {}, ...fakeTime() }
    const o = options({ type: 'nfs', source: 'nas.example.com:/export/data', target: '/Volumes/data' })
    const acquire = await readHookEvent({ IPFO_PHASE: 'PreAcq' }, ['acquire', '192.168.1.100/24', 'en0'])
    expect(await hook.run(acquire, o, deps)).toEqual({
      ok: true,
      summary: 'nas.example.com:/export/data is already mounted on /Volumes/data',
    })
    const gate = await readHookEvent({ IPFO_PHASE: 'Test' }, ['acquire', '192.168.1.100/24', 'en0'])
    expect((await hook.run(gate, o, deps)).summary).toBe('the mount hook does nothing as a Test gate')
    expect(runner.lines()).toEqual(['/sbin/mount'])
  })
})
