import { chmod, chown, mkdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError, type HookPhase, stageFile } from '@ipfo/core'
import { assertNoInlineSecrets, HookInputError, parseHookOptions, sidecarPath } from '@ipfo/hooks-stdlib'
import { addressFolderName } from './address-folder.js'
import type { ResolvedHook } from './resolve-hook.js'

/**
 * `--option key=value` flags to an options object: values that read as JSON (numbers, booleans,
 * arrays) are parsed, others stay strings; `a.b=c` nests; a key given twice becomes a list.
 */
export function parseOptionFlags(pairs: readonly string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const key = eq > 0 ? pair.slice(0, eq) : ''
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(key)) {
      throw new ConfigError(`--option ${pair} is not key=value`, {
        hint: 'e.g. --option to=admin@example.com',
      })
    }
    const text = pair.slice(eq + 1)
    let value: unknown = text
    if (/^(true|false|null|-?\d+(\.\d+)?|\[.*\]|\{.*\}|".*")$/s.test(text)) {
      try {
        value = JSON.parse(text)
      } catch {
        value = text
      }
    }
    const path = key.split('.')
    let node = options
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {}
      node = node[part] as Record<string, unknown>
    }
    const last = path.at(-1)!
    const previous = node[last]
    node[last] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]
  }
  return options
}

/** The options, checked against the stdlib hook's schema, or for inline secrets only (third-party). */
export function checkOptions(hook: ResolvedHook, options: Record<string, unknown>): void {
  try {
    if (hook.definition) parseHookOptions(hook.definition, options, 'the --option values')
    else assertNoInlineSecrets(options)
  } catch (error) {
    if (!(error instanceof HookInputError)) throw error
    throw new ConfigError(error.message, {
      ...(error.hint !== undefined && { hint: error.hint }),
      cause: error,
    })
  }
}

export interface InstallRequest {
  readonly hooksDir: string
  readonly address: string
  readonly phase: HookPhase | 'Notify'
  readonly order: number
  readonly hook: ResolvedHook
  readonly options: Record<string, unknown>
  readonly force?: boolean
}

export interface Installed {
  readonly hook: string
  readonly from: string
  readonly address: string
  readonly phase: HookPhase | 'Notify'
  readonly script: string
  readonly path: string
  readonly sidecar: string
  readonly bin: string
  readonly owner: 'root' | number
}

/** A POSIX shell single-quoted word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** The executable put in the hook folder: it tells the hook where its sidecar is, then runs it with node. */
export function wrapperScript(hook: ResolvedHook): string {
  return [
    '#!/bin/sh',
    `# ipfo hook "${hook.name}" from ${hook.from}, installed by "ipfo hooks add".`,
    '# Its options are in the file next to this one named like it plus ".json" (mode 0600).',
    'IPFO_HOOK_OPTIONS_FILE="$0.json"',
    'export IPFO_HOOK_OPTIONS_FILE',
    `exec node ${shellQuote(hook.bin)} "$@"`,
    '',
  ].join('\n')
}

/**
 * Writes `<hooksDir>/<ip>/<Phase>-<NN>-<hook>` (mode 0755) and its sidecar `<script>.json` (mode
 * 0600), both owned by root when run as root. The sidecar goes first, so the script never runs
 * without its options.
 */
export async function installHook(req: InstallRequest): Promise<Installed> {
  if (!Number.isInteger(req.order) || req.order < 0 || req.order > 99) {
    throw new ConfigError(`--order ${req.order} is not 0 to 99`, {
      hint: 'hooks of a phase run in the order of their names; 50 is the middle',
    })
  }
  // Notify scripts live at the top of the hooks folder: they are about events, not one address.
  const ip = req.phase === 'Notify' ? '' : addressFolderName(req.address)
  const folder = req.phase === 'Notify' ? req.hooksDir : join(req.hooksDir, ip)
  const script = `${req.phase}-${String(req.order).padStart(2, '0')}-${req.hook.name}`
  const path = join(folder, script)
  const sidecar = sidecarPath(path)
  await mkdir(folder, { recursive: true, mode: 0o755 })
  const asRoot = process.getuid?.() === 0
  const own = (file: string) => (asRoot ? chown(file, 0, 0) : Promise.resolve())

  const flag = req.force ? 'w' : 'wx'
  // Staged, not yet in place: when the script cannot be written, an existing sidecar stays as it was.
  const staged = await stageFile(sidecar, `${JSON.stringify(req.options, null, 2)}\n`, {
    mode: 0o600,
    chmod: 0o600,
    ...(asRoot ? { owner: { uid: 0, gid: 0 } } : {}),
  })
  try {
    await writeFile(path, wrapperScript(req.hook), { mode: 0o755, flag })
  } catch (error) {
    await staged.discard()
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    throw new ConfigError(`${path} already exists`, {
      hint: `pass --force to replace it, or run "ipfo hooks remove ${ip} ${script}" first`,
    })
  }
  await staged.commit()
  await chmod(path, 0o755)
  await own(path)
  return {
    hook: req.hook.name,
    from: req.hook.from,
    address: ip,
    phase: req.phase,
    script,
    path,
    sidecar,
    bin: req.hook.bin,
    owner: asRoot ? 'root' : (process.getuid?.() ?? -1),
  }
}

/** Removes an installed script and its sidecar. */
export async function removeHook(
  hooksDir: string,
  address: string,
  script: string,
): Promise<{ removed: string[] }> {
  const ip = addressFolderName(address)
  if (script.includes('/') || script.startsWith('.') || script.endsWith('.json')) {
    throw new ConfigError(`"${script}" is not a hook script name`, {
      hint: `see the names with "ipfo hooks list --address ${ip}"`,
    })
  }
  const path = join(hooksDir, ip, script)
  const removed: string[] = []
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
    throw new ConfigError(`there is no hook ${script} for ${ip} in ${hooksDir}`, {
      hint: `see the installed hooks with "ipfo hooks list --address ${ip}"`,
    })
  })
  removed.push(path)
  const sidecar = sidecarPath(path)
  if (
    await unlink(sidecar).then(
      () => true,
      () => false,
    )
  )
    removed.push(sidecar)
  return { removed }
}
