import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installGlobal } from './install-global.js'
import { type PackedPackage, packWorkspaces } from './pack-workspaces.js'
import { type ScopedRegistry, scopedRegistry } from './scoped-registry.js'

export interface InstalledPackages {
  /** The global prefix: executables in `<prefix>/bin`, packages in `<prefix>/lib/node_modules`. */
  readonly prefix: string
  /** `<prefix>/lib/node_modules`. */
  readonly modules: string
  readonly packed: readonly PackedPackage[]
  /** Still serving until close(), with the paths npm asked for. */
  readonly registry: ScopedRegistry
  /** What npm printed while installing. */
  readonly npmOutput: { readonly stdout: string; readonly stderr: string }
  /** Stops the registry and removes the tarballs and the prefix. */
  close(): Promise<void>
}

export interface InstallPackedOptions {
  /** The repository's root. */
  readonly root: string
  /** The workspaces to pack and serve (relative to root), e.g. `packages/core`. */
  readonly workspaces: readonly string[]
  /** What to `npm install -g`, e.g. `@ipfo/cli`. */
  readonly spec: string
  /**
   * Packed packages of another scope (a third party's hook package) installed next to `spec`
   * afterwards, from their tarballs, as `npm install -g <name>` from their own registry would.
   */
  readonly alsoInstall?: readonly string[]
}

/**
 * Packs the workspaces, serves them from a local scoped registry and installs `spec` globally into a
 * fresh prefix, as a user would. Once per suite (beforeAll); close() in afterAll. On failure everything
 * made so far is removed before the error is thrown.
 */
export async function installPacked(opts: InstallPackedOptions): Promise<InstalledPackages> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-installed-'))
  let registry: ScopedRegistry | undefined
  const close = async () => {
    await registry?.close()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const tarballs = join(dir, 'tarballs')
    const prefix = join(dir, 'prefix')
    await mkdir(tarballs)
    await mkdir(prefix)
    const packed = await packWorkspaces({ root: opts.root, workspaces: opts.workspaces, dest: tarballs })
    registry = await scopedRegistry(packed)
    const npmOutput = await installGlobal({ prefix, registryUrl: registry.url, spec: opts.spec })
    for (const name of opts.alsoInstall ?? []) {
      const tarball = packed.find((p) => p.name === name)
      if (!tarball) throw new Error(`alsoInstall: ${name} is not among the packed workspaces`)
      await installGlobal({ prefix, registryUrl: registry.url, spec: tarball.file })
    }
    return { prefix, modules: join(prefix, 'lib', 'node_modules'), packed, registry, npmOutput, close }
  } catch (error) {
    await close()
    throw error
  }
}
