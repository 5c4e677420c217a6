import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../src/atomic-write.js'
import { AfpError } from '../src/errors.js'
import { nodeFs } from '../src/fs-port.js'
import { faultyFs } from './fakes/faulty-fs.js'

let dir: string
let file: string
const ORIGINAL = 'original contents\n'
const NEW = new TextEncoder().encode('new contents\n')
const at = () => new Date('2026-11-25T12:34:56.789Z')

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-afp-write-'))
  file = join(dir, 'com.apple.AppleFileServer.plist')
  await writeFile(file, ORIGINAL)
  await chmod(file, 0o640)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** How many write steps a successful write takes (with a backup). */
async function stepsOfAWrite(): Promise<string[]> {
  const probe = faultyFs(nodeFs, Number.POSITIVE_INFINITY)
  await writeFileAtomic(probe.fs, file, NEW, { backup: true, now: at })
  const probed = dir
  await rm(dir, { recursive: true })
  dir = await mkdtemp(join(tmpdir(), 'ipfo-afp-write-'))
  file = join(dir, 'com.apple.AppleFileServer.plist')
  await writeFile(file, ORIGINAL)
  await chmod(file, 0o640)
  return probe.steps.map((s) => s.replace(probed, dir))
}

describe('writeFileAtomic', () => {
  it('replaces the file, keeps its mode and owner, and keeps a timestamped backup of the original', async () => {
    const result = await writeFileAtomic(nodeFs, file, NEW, { backup: true, now: at })
    expect(await readFile(file, 'utf8')).toBe('new contents\n')
    expect((await stat(file)).mode & 0o777).toBe(0o640)
    expect(result.backup).toBe(`${file}.ipfo-backup-20261125T123456Z`)
    expect(await readFile(result.backup as string, 'utf8')).toBe(ORIGINAL)
    expect((await stat(result.backup as string)).mode & 0o777).toBe(0o640)
    expect((await readdir(dir)).sort()).toEqual([
      'com.apple.AppleFileServer.plist',
      'com.apple.AppleFileServer.plist.ipfo-backup-20261125T123456Z',
    ])
  })

  it('does not overwrite an earlier backup made in the same second', async () => {
    await writeFileAtomic(nodeFs, file, NEW, { backup: true, now: at })
    const second = await writeFileAtomic(nodeFs, file, new TextEncoder().encode('third\n'), {
      backup: true,
      now: at,
    })
    expect(second.backup).toBe(`${file}.ipfo-backup-20261125T123456Z-2`)
    expect(await readFile(second.backup as string, 'utf8')).toBe('new contents\n')
  })

  it('takes every step of a safe write, in order', async () => {
    const steps = (await stepsOfAWrite()).map((s) =>
      s.replace(dir, '<dir>').replace(/ipfo-tmp-\d+-[0-9a-f]+/, 'ipfo-tmp-*'),
    )
    expect(steps).toEqual([
      ...['createNew', 'write', 'chown', 'chmod', 'sync', 'close'].map(
        (s) => `${s} <dir>/com.apple.AppleFileServer.plist.ipfo-backup-20261125T123456Z`,
      ),
      ...['createNew', 'write', 'chown', 'chmod', 'sync', 'close'].map(
        (s) => `${s} <dir>/.com.apple.AppleFileServer.plist.ipfo-tmp-*`,
      ),
      'rename <dir>/com.apple.AppleFileServer.plist',
      'syncDirectory <dir>',
    ])
  })

  it('leaves the original intact and no temporary file or backup behind when any step before the rename fails', async () => {
    const steps = await stepsOfAWrite()
    const renameAt = steps.findIndex((s) => s.startsWith('rename')) + 1
    expect(renameAt).toBeGreaterThan(10)
    for (let failAt = 1; failAt <= renameAt; failAt++) {
      const faulty = faultyFs(nodeFs, failAt, 'ENOSPC')
      const error = await writeFileAtomic(faulty.fs, file, NEW, { backup: true, now: at }).catch(
        (e: unknown) => e,
      )
      expect(error, `failure at ${faulty.failed()}`).toBeInstanceOf(AfpError)
      expect((error as AfpError).message).toBe(
        `cannot write ${file}: the disk is full; the file is unchanged`,
      )
      expect(await readFile(file, 'utf8'), `after a failure at ${faulty.failed()}`).toBe(ORIGINAL)
      expect((await stat(file)).mode & 0o777).toBe(0o640)
      expect(await readdir(dir), `after a failure at ${faulty.failed()}`).toEqual([
        'com.apple.AppleFileServer.plist',
      ])
    }
  })

  it('reports, but does not undo, a directory fsync that fails after the rename', async () => {
    const steps = await stepsOfAWrite()
    const faulty = faultyFs(nodeFs, steps.length, 'EIO')
    const result = await writeFileAtomic(faulty.fs, file, NEW, { backup: true, now: at })
    expect(faulty.failed()).toBe(`syncDirectory ${dir}`)
    expect(await readFile(file, 'utf8')).toBe('new contents\n')
    expect(result.warning).toBe(
      `${file} is written, but ${dir} could not be fsynced (an I/O error): run sync before a reboot`,
    )
  })

  it('says how to fix a read-only volume', async () => {
    const error = (await writeFileAtomic(faultyFs(nodeFs, 1, 'EROFS').fs, file, NEW, { backup: true }).catch(
      (e) => e,
    )) as AfpError
    expect(error.message).toBe(`cannot write ${file}: the volume is mounted read-only; the file is unchanged`)
    expect(error.hint).toBe('remount it read-write')
  })

  it('creates a missing file with the requested mode', async () => {
    const fresh = join(dir, 'AFP.conf')
    await writeFileAtomic(nodeFs, fresh, NEW, { backup: true, create: { mode: 0o600 } })
    expect((await stat(fresh)).mode & 0o777).toBe(0o600)
  })
})
