import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { ConfigError } from '@ipfo/core'
import { type HookDefinition, isStdlibHook, stdlibHookBin, stdlibHooks } from '@ipfo/hooks-stdlib'

/** A hook that `ipfo hooks add` can install. */
export interface ResolvedHook {
  /** The script-name suffix: `PostAcq-50-<name>`. */
  readonly name: string
  /** `@ipfo/hooks-stdlib` or the third-party package's name. */
  readonly from: string
  /** The absolute path of the executable the wrapper runs with node. */
  readonly bin: string
  /** The stdlib hook's definition, to check options at install time; undefined for third-party hooks. */
  readonly definition: HookDefinition | undefined
}

/**
 * A stdlib hook by name (`email`), or an npm package whose package.json declares
 * `"ipfoHook": { "bin": "dist/hook.js" }`, by name (found where the CLI or the current folder would
 * find it, NODE_PATH and global folders included) or by path (`./my-hook`, `/opt/hooks/my-hook`).
 */
export async function resolveHook(spec: string, cwd: string = process.cwd()): Promise<ResolvedHook> {
  if (isStdlibHook(spec)) {
    return { name: spec, from: '@ipfo/hooks-stdlib', bin: stdlibHookBin(spec), definition: stdlibHooks[spec] }
  }
  const dir = spec.startsWith('.') || spec.startsWith('/') ? resolve(cwd, spec) : findPackage(spec, cwd)
  if (dir === undefined || !existsSync(join(dir, 'package.json'))) {
    throw new ConfigError(`"${spec}" is neither a stdlib hook nor an installed package`, {
      hint: `stdlib hooks: ${Object.keys(stdlibHooks).join(', ')}; for a package, "npm install -g ${spec}" first`,
    })
  }
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    name?: string
    ipfoHook?: { bin?: unknown; name?: unknown }
  }
  const declared = pkg.ipfoHook?.bin
  if (typeof declared !== 'string') {
    throw new ConfigError(`${pkg.name ?? dir} does not export an ipfo hook`, {
      hint: 'its package.json needs "ipfoHook": { "bin": "<path of the executable>" }',
    })
  }
  const bin = resolve(dir, declared)
  if (relative(dir, bin).startsWith('..') || !existsSync(bin)) {
    throw new ConfigError(
      `${pkg.name ?? dir} declares the hook executable ${declared}, which is not in the package`,
      {
        hint: 'build the package, or fix "ipfoHook.bin" in its package.json',
      },
    )
  }
  const base = typeof pkg.ipfoHook?.name === 'string' ? pkg.ipfoHook.name : (pkg.name ?? spec)
  return { name: scriptSuffix(base), from: pkg.name ?? dir, bin, definition: undefined }
}

/** `@acme/ipfo-hook-pagerduty` to `pagerduty`: the script-name suffix. */
export function scriptSuffix(packageName: string): string {
  const bare = (packageName.split('/').pop() ?? packageName).replace(/^ipfo-hook-/, '')
  return (
    bare
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'hook'
  )
}

function findPackage(name: string, cwd: string): string | undefined {
  const paths = [
    ...(createRequire(import.meta.url).resolve.paths(name) ?? []),
    ...(createRequire(join(cwd, 'noop.js')).resolve.paths(name) ?? []),
  ]
  return paths.map((base) => join(base, name)).find((dir) => existsSync(join(dir, 'package.json')))
}
