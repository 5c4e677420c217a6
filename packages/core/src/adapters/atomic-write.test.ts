import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { nodeWriteFs, replaceFile, stageFile, type WriteFs, writeNewFile } from './atomic-write.js'

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-atomic-write-'))
  file = join(dir, 'state.json')
  await writeFile(file, 'old\n')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Records each step as `<step> <file name>` and fails the `failAt`-th (1-based) with ENOSPC. */
function recordingFs(failAt = Number.POSITIVE_INFINITY) {
  const steps: string[] = []
  const step = (name: string, path: string) => {
    steps.push(`${name} ${path.slice(dir.length + 1).replace(/ipfo-tmp-.*/, 'ipfo-tmp-*')}`)
    if (steps.length === failAt)
      throw Object.assign(new Error(`ENOSPC: injected, ${name}`), { code: 'ENOSPC' })
  }
  const fs: WriteFs = {
    ...nodeWriteFs,
    async createNew(path, mode) {
      step('createNew', path)
      const f = await nodeWriteFs.createNew(path, mode)
      const wrap =
        (name: string, act: (...a: never[]) => Promise<void>) =>
        async (...a: never[]) => {
          step(name, path)
          await act(...a)
        }
      return {
        write: wrap('write', f.write as never),
        chown: wrap('chown', f.chown as never),
        chmod: wrap('chmod', f.chmod as never),
        sync: wrap('sync', f.sync as never),
        close: wrap('close', f.close as never),
      }
    },
    async rename(from, to) {
      step('rename', to)
      await nodeWriteFs.rename(from, to)
    },
  }
  return { fs, steps }
}

describe('replaceFile', () => {
  it('replaces the file through a dotfile beside it, with the mode asked for, and leaves nothing else', async () => {
    await rm(file)
    await replaceFile(file, '{"a":1}', { mode: 0o600 })
    expect(await readFile(file, 'utf8')).toBe('{"a":1}')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['state.json'])
  })

  it('takes only the steps asked for, in order: owner before mode, fsync before close, then the rename', async () => {
    const plain = recordingFs()
    await replaceFile(file, 'new\n', { fs: plain.fs })
    expect(plain.steps).toEqual([
      'createNew .state.json.ipfo-tmp-*',
      'write .state.json.ipfo-tmp-*',
      'close .state.json.ipfo-tmp-*',
      'rename state.json',
    ])
    const full = recordingFs()
    const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
    await replaceFile(file, 'new\n', { fs: full.fs, mode: 0o640, owner: me, chmod: 0o640, sync: true })
    expect(full.steps.map((s) => s.split(' ')[0])).toEqual([
      'createNew',
      'write',
      'chown',
      'chmod',
      'sync',
      'close',
      'rename',
    ])
    expect((await stat(file)).mode & 0o777).toBe(0o640)
  })

  it('leaves the old file and no temporary file when any step fails, and throws the error as it came', async () => {
    const steps = recordingFs()
    await replaceFile(file, 'new\n', { fs: steps.fs, chmod: 0o644, sync: true })
    await writeFile(file, 'old\n')
    for (let failAt = 1; failAt <= steps.steps.length; failAt++) {
      const faulty = recordingFs(failAt)
      const error = await replaceFile(file, 'new\n', { fs: faulty.fs, chmod: 0o644, sync: true }).catch(
        (e: unknown) => e,
      )
      expect(error, faulty.steps.at(-1)).toMatchObject({ code: 'ENOSPC' })
      expect(await readFile(file, 'utf8')).toBe('old\n')
      expect(await readdir(dir)).toEqual(['state.json'])
    }
  })
})

describe('stageFile', () => {
  it('replaces the file only when committed, and leaves it untouched when discarded', async () => {
    const discarded = await stageFile(file, 'never\n')
    expect(discarded.temp.startsWith(join(dir, '.state.json.'))).toBe(true)
    await discarded.discard()
    expect(await readFile(file, 'utf8')).toBe('old\n')
    expect(await readdir(dir)).toEqual(['state.json'])

    const staged = await stageFile(file, 'new\n')
    expect(await readFile(file, 'utf8')).toBe('old\n')
    await staged.commit()
    expect(await readFile(file, 'utf8')).toBe('new\n')
    expect(await readdir(dir)).toEqual(['state.json'])
  })
})

describe('writeNewFile', () => {
  it('refuses a file that exists, and leaves it as it was', async () => {
    await expect(writeNewFile(file, 'x')).rejects.toMatchObject({ code: 'EEXIST' })
    expect(await readFile(file, 'utf8')).toBe('old\n')
  })
})
