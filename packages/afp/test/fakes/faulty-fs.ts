import type { AfpFs, NewFile } from '../../src/fs-port.js'

/** Every step of a write that a faulty file system can fail, in the order a write takes them. */
export type WriteStep =
  | 'createNew'
  | 'write'
  | 'chown'
  | 'chmod'
  | 'sync'
  | 'close'
  | 'rename'
  | 'syncDirectory'

export interface FaultyFs {
  readonly fs: AfpFs
  /** The write steps taken so far, `path` included: `write /etc/x`. */
  readonly steps: string[]
  /** The step that was failed, once it has been. */
  readonly failed: () => string | undefined
}

/**
 * Wraps a file system so that the `failAt`-th write step (1-based) fails with an fs error of the
 * given code (ENOSPC: the disk is full). Reads and unlinks (clean-up) always work.
 */
export function faultyFs(base: AfpFs, failAt: number, code = 'ENOSPC'): FaultyFs {
  const steps: string[] = []
  let failed: string | undefined
  const step = (name: WriteStep, path: string) => {
    steps.push(`${name} ${path}`)
    if (steps.length === failAt) {
      failed = `${name} ${path}`
      throw Object.assign(new Error(`${code}: injected failure, ${name} ${path}`), { code })
    }
  }
  const fs: AfpFs = {
    ...base,
    async createNew(path, mode) {
      step('createNew', path)
      const file = await base.createNew(path, mode)
      const wrapped: NewFile = {
        write: async (data) => {
          step('write', path)
          await file.write(data)
        },
        chown: async (uid, gid) => {
          step('chown', path)
          await file.chown(uid, gid)
        },
        chmod: async (m) => {
          step('chmod', path)
          await file.chmod(m)
        },
        sync: async () => {
          step('sync', path)
          await file.sync()
        },
        close: async () => {
          step('close', path)
          await file.close()
        },
      }
      return wrapped
    },
    async rename(from, to) {
      step('rename', to)
      await base.rename(from, to)
    },
    async syncDirectory(path) {
      step('syncDirectory', path)
      await base.syncDirectory(path)
    },
  }
  return { fs, steps, failed: () => failed }
}
