import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PlistValue } from 'plist'
import { afpPlistValue, binaryPlist, xmlPlist } from './afp-plist-fixture.js'
import { mountTmpfs, type TestVolume } from './tmpfs.js'

/**
 * One node of an AFP pair on this machine: a plist and a reconnect key on the startup disk (under
 * /var/tmp), and a real tmpfs mounted as the shared volume. Root only.
 */
export interface AfpNodeFixture {
  readonly base: string
  readonly plist: string
  readonly key: string
  readonly shared: TestVolume
  readonly sharedKey: string
  readonly keyBytes: Uint8Array
  /** Every file under base (except inside the shared volume) with its bytes, to prove nothing changed. */
  snapshot(): Promise<Record<string, string>>
  cleanup(): Promise<void>
}

export async function afpNode(
  format: 'xml' | 'binary',
  extra: Record<string, PlistValue> = {},
): Promise<AfpNodeFixture> {
  const base = await mkdtemp('/var/tmp/ipfo-afp-')
  const volumes: TestVolume[] = []
  try {
    // The fixture's "startup disk" files must not share the tmpfs's device, or the tests could not
    // tell a key on the startup disk from one on the shared volume.
    if ((await stat(base)).dev !== (await stat('/')).dev)
      throw new Error(`${base} must be on the root file system for these tests (/var/tmp is not)`)
    const plist = join(base, 'Preferences', 'com.apple.AppleFileServer.plist')
    const key = join(base, 'etc', 'AFP.conf')
    await mkdir(join(base, 'Preferences'))
    await mkdir(join(base, 'etc'))
    const value = afpPlistValue({ reconnectKeyLocation: key, ...extra })
    await writeFile(plist, format === 'xml' ? xmlPlist(value) : binaryPlist(value))
    await chmod(plist, 0o644)
    const keyBytes = new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37) % 256))
    await writeFile(key, keyBytes, { mode: 0o600 })
    const shared = await mountTmpfs(join(base, 'Volumes', 'Shared'), '256k')
    volumes.push(shared)
    await mkdir(join(shared.mountPoint, 'AFP'))
    const snapshot = async () => {
      const out: Record<string, string> = {}
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name)
          if (entry.isDirectory()) await walk(path)
          else out[path] = Buffer.from(await readFile(path)).toString('base64')
        }
      }
      await walk(base)
      return out
    }
    return {
      base,
      plist,
      key,
      shared,
      sharedKey: join(shared.mountPoint, 'AFP', 'AFP.conf'),
      keyBytes,
      snapshot,
      cleanup: async () => {
        for (const v of volumes) await v.unmount().catch(() => undefined)
        await rm(base, { recursive: true, force: true })
      },
    }
  } catch (error) {
    for (const v of volumes) await v.unmount().catch(() => undefined)
    await rm(base, { recursive: true, force: true })
    throw error
  }
}
