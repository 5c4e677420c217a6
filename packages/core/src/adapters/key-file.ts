import { randomBytes } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { ConfigError } from '../model/errors.js'

/** Heartbeat keys are 32 random bytes, stored as 64 hex characters and a newline. */
export const KEY_BYTES = 32

export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES)
}

/**
 * Writes a new key file with mode 0600. Refuses to overwrite an existing file unless `force`, so a
 * typo cannot destroy the key a running pair depends on.
 */
export async function writeKeyFile(path: string, key: Buffer, opts: { force?: boolean } = {}): Promise<void> {
  const handle = await open(path, opts.force ? 'w' : 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') {
      throw new ConfigError(`key file ${path} already exists`, {
        file: path,
        hint: 'choose another path, or pass --force to replace it (every node must then get the new key)',
      })
    }
    throw error
  })
  try {
    await handle.chmod(0o600)
    await handle.writeFile(`${key.toString('hex')}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Reads a key file and checks that neither group nor others can read it: a heartbeat key that other
 * local users can read lets them forge heartbeats and keep a dead node "alive".
 */
export async function readKeyFile(path: string): Promise<Buffer> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`key file ${path} cannot be read (${error.code ?? error.message})`, {
      file: path,
      hint: `create one with "ipfo keygen ${path}" and copy it to every node`,
    })
  })
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0')
    throw new ConfigError(`key file ${path} has mode ${mode}; group and others must have no access`, {
      file: path,
      hint: `run "chmod 600 ${path}"`,
    })
  }
  const text = (await readFile(path, 'utf8')).trim()
  if (!/^[0-9a-fA-F]+$/.test(text) || text.length < 32 || text.length % 2 !== 0) {
    throw new ConfigError(`key file ${path} does not hold a hex key of at least 16 bytes`, {
      file: path,
      hint: `create a new one with "ipfo keygen ${path}"`,
    })
  }
  return Buffer.from(text, 'hex')
}
