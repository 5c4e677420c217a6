import { RecordingRunner } from '@ipfo/testkit'
import { describe, expect, it } from 'vitest'
import { parseHookOptions } from '../sidecar.js'
import { mountCommands, mountHook, mountVolume } from './mount.js'
import { unmountVolume } from './unmount.js'

const options = (raw: Record<string, unknown>) => parseHookOptions(mountHook, { mkdir: false, ...raw })
const mounted = (source: string, fstype: string) => ({
  stdout: JSON.stringify({ filesystems: [{ target: '/srv/data', source, fstype, options: 'rw' }] }),
})

/** A clock that only moves when the code under test sleeps. */
function fakeTime() {
  let now = 0
  const slept: number[] = []
  return {
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms)
      now += ms
    },
    slept,
  }
}

describe('mountCommands', () => {
  it('builds the mount argv for each type', () => {
    const target = '/srv/data'
    expect(
      mountCommands(
        options({ type: 'block', source: '/dev/sdb1', target, fstype: 'ext4', mountOptions: 'noatime' }),
      ),
    ).toEqual([['mount', ['-t', 'ext4', '-o', 'noatime', '/dev/sdb1', target]]])
    expect(
      mountCommands(
        options({ type: 'nfs', source: 'nas:/export/data', target, mountOptions: ['vers=4.2', 'hard'] }),
      ),
    ).toEqual([['mount', ['-t', 'nfs', '-o', 'vers=4.2,hard', 'nas:/export/data', target]]])
    const smb = {
      type: 'smb',
      source: '//nas/data',
      target,
      credentialsFile: '/etc/ipfo/nas.cred',
      mountOptions: 'vers=3.0',
    }
    expect(mountCommands(options(smb))).toEqual([
      ['mount', ['-t', 'cifs', '-o', 'credentials=/etc/ipfo/nas.cred,vers=3.0', '//nas/data', target]],
    ])
    expect(mountCommands(options({ type: 'bind', source: '/data', target, mountOptions: 'ro' }))).toEqual([
      ['mount', ['--bind', '/data', target]],
      ['mount', ['-o', 'remount,bind,ro', target]],
    ])
    expect(mountCommands(options({ type: 'tmpfs', source: 'scratch', target }))).toEqual([
      ['mount', ['-t', 'tmpfs', 'scratch', target]],
    ])
  })
})

describe('mountVolume', () => {
  it('checks a block device with fsck -p, mounts it and verifies with findmnt', async () => {
    const runner = new RecordingRunner()
      .respond('findmnt', { exitCode: 1 }, { times: 1 })
      .respond('findmnt', mounted('/dev/sdz9', 'ext4'))
      .respond('fsck', { exitCode: 1 })
    const notes: string[] = []
    const o = options({ type: 'block', source: '/dev/sdz9', target: '/srv/data', fsck: true })
    const outcome = await mountVolume(o, { runner, note: (l) => notes.push(l) })
    expect(runner.lines()).toEqual([
      'findmnt -J --mountpoint /srv/data',
      'fsck -p /dev/sdz9',
      'mount /dev/sdz9 /srv/data',
      'findmnt -J --mountpoint /srv/data',
    ])
    expect(outcome).toEqual({ ok: true, summary: 'mounted /dev/sdz9 on /srv/data (ext4)' })
    expect(notes).toEqual(['mount: fsck -p /dev/sdz9 corrected errors (exit 1)'])
  })

  it('does not mount a device fsck could not repair', async () => {
    const runner = new RecordingRunner()
      .respond('findmnt', { exitCode: 1 })
      .respond('fsck', { exitCode: 4, stderr: 'UNEXPECTED INCONSISTENCY' })
    const o = options({ type: 'block', source: '/dev/sdz9', target: '/srv/data', fsck: true })
    const outcome = await mountVolume(o, { runner, note: () => {} })
    expect(outcome.ok).toBe(false)
    expect(outcome.summary).toBe('fsck -p /dev/sdz9 failed (exit 4): UNEXPECTED INCONSISTENCY; not mounted')
    expect(runner.lines()).not.toContain('mount /dev/sdz9 /srv/data')
  })

  it('succeeds without mounting when the same source is there, fails when another is', async () => {
    const o = options({ type: 'nfs', source: 'nas:/export/data', target: '/srv/data' })
    const same = new RecordingRunner().respond('findmnt', mounted('nas:/export/data', 'nfs4'))
    expect(await mountVolume(o, { runner: same, note: () => {} })).toEqual({
      ok: true,
      summary: 'nas:/export/data is already mounted on /srv/data',
    })
    const other = new RecordingRunner().respond('findmnt', mounted('/dev/sdc1', 'xfs'))
    const outcome = await mountVolume(o, { runner: other, note: () => {} })
    expect(outcome).toEqual({
      ok: false,
      summary: '/srv/data already has /dev/sdc1 (xfs) mounted, not nas:/export/data; left as it is',
    })
    expect(other.lines()).toEqual(['findmnt -J --mountpoint /srv/data'])
  })
})

describe('unmountVolume', () => {
  it('escalates: waits for the grace, then fuser SIGTERM, SIGKILL, and last umount -l, loudly', async () => {
    const runner = new RecordingRunner()
      .respond('findmnt', mounted('scratch', 'tmpfs'), { times: 1 })
      .respond('findmnt', { exitCode: 1 })
      .respond(/^umount \/srv/, { exitCode: 32, stderr: 'umount: /srv/data: target is busy.' })
      .respond('fuser', { stdout: ' 4242' })
    const time = fakeTime()
    const notes: string[] = []
    const o = options({
      type: 'tmpfs',
      source: 'scratch',
      target: '/srv/data',
      grace: '1s',
      killAfter: '400ms',
    })
    const outcome = await unmountVolume(o, { runner, ...time, note: (l) => notes.push(l) })
    const lines = runner.lines().filter((l) => l !== 'umount /srv/data')
    expect(lines).toEqual([
      'findmnt -J --mountpoint /srv/data',
      'fuser -k -TERM -M -m /srv/data',
      'fuser -k -KILL -M -m /srv/data',
      'umount -l /srv/data',
      'findmnt -J --mountpoint /srv/data',
    ])
    // 1 + 5 (grace) + 2 (after TERM) + 3 (after KILL) tries.
    expect(runner.lines().filter((l) => l === 'umount /srv/data')).toHaveLength(11)
    expect(outcome).toEqual({
      ok: true,
      summary: 'LAZILY unmounted /srv/data (umount -l): something still holds it',
    })
    expect(notes.at(-1)).toMatch(/WARNING: \/srv\/data could not be unmounted cleanly/)
  })

  it('succeeds at once when nothing is mounted, and leaves a foreign mount alone', async () => {
    const o = options({ type: 'tmpfs', source: 'scratch', target: '/srv/data' })
    const none = new RecordingRunner().respond('findmnt', { exitCode: 1 })
    expect(await unmountVolume(o, { runner: none, ...fakeTime(), note: () => {} })).toEqual({
      ok: true,
      summary: '/srv/data is not mounted',
    })
    const other = new RecordingRunner().respond('findmnt', mounted('/dev/sdc1', 'xfs'))
    expect((await unmountVolume(o, { runner: other, ...fakeTime(), note: () => {} })).ok).toBe(false)
    expect(other.lines()).toEqual(['findmnt -J --mountpoint /srv/data'])
  })
})
