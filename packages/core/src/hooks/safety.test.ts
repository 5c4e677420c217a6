import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkHookSafety, type PathFacts, type SafetyFs } from './safety.js'

// The checks are about root-owned files, so these tests create real files with bad modes and owners.
const asRoot = process.getuid?.() === 0
const NOBODY = 65534

let dir: string
let folder: string
let hook: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-safety-'))
  await chmod(dir, 0o755)
  folder = join(dir, '10.0.0.50')
  await mkdir(folder, { mode: 0o755 })
  hook = join(folder, 'PostAcq-10-web')
  await writeFile(hook, '#!/bin/sh\nexit 0\n', { mode: 0o755 })
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const check = (file = hook, uid = 0) => checkHookSafety(dir, file, { uid })

describe.skipIf(!asRoot)('checkHookSafety (as root)', () => {
  it('accepts a root-owned hook that only root can write', async () => {
    expect(await check()).toEqual({ ok: true, realPath: hook })
    await chmod(hook, 0o700)
    expect((await check()).ok).toBe(true)
  })

  it('refuses a hook that its group or others can write, with the chmod that fixes it', async () => {
    await chmod(hook, 0o775)
    expect(await check()).toEqual({
      ok: false,
      reason: `${hook} is writable by its group`,
      fix: `chmod go-w ${hook}`,
    })
    await chmod(hook, 0o757)
    expect(await check()).toMatchObject({ ok: false, reason: `${hook} is writable by others` })
  })

  it('refuses a hook in a folder that others can write', async () => {
    await chmod(folder, 0o1757)
    expect(await check()).toEqual({
      ok: false,
      reason: `${folder} is writable by others`,
      fix: `chmod go-w ${folder}`,
    })
  })

  it('refuses every hook when the hooks folder itself is writable by its group', async () => {
    await chmod(dir, 0o775)
    expect(await check()).toMatchObject({ ok: false, fix: `chmod go-w ${dir}` })
  })

  it('refuses a hook that root does not own', async () => {
    await chown(hook, NOBODY, NOBODY)
    expect(await check()).toEqual({
      ok: false,
      reason: `${hook} is owned by uid ${NOBODY}, not root`,
      fix: `chown root ${hook}`,
    })
  })

  it('refuses a hook in a folder that root does not own', async () => {
    await chown(folder, NOBODY, NOBODY)
    expect(await check()).toMatchObject({ ok: false, fix: `chown root ${folder}` })
  })

  it('lets an agent that is not root run hooks owned by its own user', async () => {
    await chown(hook, NOBODY, NOBODY)
    expect((await check(hook, NOBODY)).ok).toBe(true)
    await chown(hook, 1234, 1234)
    expect(await check(hook, NOBODY)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('uid 1234'),
    })
  })

  it('refuses a file its owner cannot execute', async () => {
    await chmod(hook, 0o644)
    expect(await check()).toEqual({
      ok: false,
      reason: `${hook} is not executable by its owner`,
      fix: `chmod u+x ${hook}`,
    })
  })

  it('refuses a symlink that leads out of the hooks folder, even to /usr/bin/false', async () => {
    const test = join(folder, 'Test')
    await symlink('/usr/bin/false', test)
    const verdict = await check(test)
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('outside') })
    expect(verdict.ok || verdict.fix).toContain(`cp /usr/bin/false ${test}`)
  })

  it('refuses a hook whose folder is a symlink out of the tree', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'ipfo-elsewhere-'))
    try {
      await writeFile(join(elsewhere, 'PreAcq-1'), '#!/bin/sh\n', { mode: 0o755 })
      await symlink(elsewhere, join(dir, '10.0.0.51'))
      expect(await check(join(dir, '10.0.0.51', 'PreAcq-1'))).toMatchObject({
        ok: false,
        reason: expect.stringContaining('is a symlink'),
      })
    } finally {
      await rm(elsewhere, { recursive: true, force: true })
    }
  })

  it('accepts a symlink to a safe file inside the tree, and checks the folder it leads to', async () => {
    const shared = join(dir, 'shared')
    await mkdir(shared, { mode: 0o755 })
    await writeFile(join(shared, 'notify'), '#!/bin/sh\n', { mode: 0o755 })
    const link = join(folder, 'PostAcq-90-notify')
    await symlink('../shared/notify', link)
    expect(await check(link)).toEqual({ ok: true, realPath: join(shared, 'notify') })
    await chmod(shared, 0o777)
    expect(await check(link)).toMatchObject({ ok: false, fix: `chmod go-w ${shared}` })
  })

  it('refuses a dangling symlink and a folder named like a hook', async () => {
    const dangling = join(folder, 'PostAcq-20-gone')
    await symlink(join(folder, 'nothing-here'), dangling)
    expect(await check(dangling)).toMatchObject({
      ok: false,
      reason: `${dangling} is a symlink to a missing file`,
    })
    const sub = join(folder, 'PostAcq-30-dir')
    await mkdir(sub, { mode: 0o755 })
    expect(await check(sub)).toMatchObject({ ok: false, reason: `${sub} is not a regular file` })
  })
})

describe('checkHookSafety with an injected file system', () => {
  const facts = (uid: number, mode: number, kind: 'file' | 'dir'): PathFacts => ({
    uid,
    mode,
    isFile: () => kind === 'file',
    isDirectory: () => kind === 'dir',
    isSymbolicLink: () => false,
  })
  const fake = (entries: Record<string, PathFacts>): SafetyFs => ({
    realpath: async (p) => p,
    lstat: async (p) => entries[p] ?? Promise.reject(Object.assign(new Error('no'), { code: 'ENOENT' })),
    stat: async (p) => entries[p] ?? Promise.reject(Object.assign(new Error('no'), { code: 'ENOENT' })),
  })

  it('checks the hooks folder, the address folder and the file, top down', async () => {
    const fs = fake({
      '/h': facts(0, 0o40777, 'dir'),
      '/h/1.2.3.4': facts(501, 0o40755, 'dir'),
      '/h/1.2.3.4/Test': facts(0, 0o100644, 'file'),
    })
    const verdict = await checkHookSafety('/h', '/h/1.2.3.4/Test', { uid: 0, fs })
    expect(verdict).toEqual({
      ok: false,
      reason: '/h is writable by its group and others',
      fix: 'chmod go-w /h',
    })
  })
})
