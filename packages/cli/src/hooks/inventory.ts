import { existsSync } from 'node:fs'
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { ConfigError, HOOK_PHASES } from '@ipfo/core'
import { sidecarPath } from '@ipfo/hooks-stdlib'
import { addressFolderName } from './install.js'

/**
 * What `ipfo hooks list` shows: every script of every address folder, in the order the agent runs
 * them, with whether an agent running as root would refuse it. The selection and safety rules are the
 * agent's (Apple's layout; see packages/core/src/hooks/layout.ts and safety.ts), restated here for
 * display until @ipfo/core exports them.
 */

const STAGES = ['Test', ...HOOK_PHASES] as const

export interface ListedHook {
  readonly stage: (typeof STAGES)[number]
  readonly script: string
  readonly path: string
  /** e.g. "0755" */
  readonly mode: string
  readonly owner: string
  /** The hook a wrapper written by `ipfo hooks add` runs, if it is one. */
  readonly hook: string | null
  readonly sidecar: boolean
  /** Why an agent running as root would refuse to run it, with the fix; null if it would run it. */
  readonly refused: { readonly reason: string; readonly fix: string } | null
}

export interface ListedAddress {
  readonly address: string
  readonly folder: string
  readonly hooks: ListedHook[]
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.json') || name.endsWith('~')
}

/** The scripts of a folder in run order: `Test`, then each phase's names in byte-wise order. */
export function runOrder(names: readonly string[]): { stage: ListedHook['stage']; script: string }[] {
  const sorted = [...names].filter((n) => !isIgnored(n)).sort(byteOrder)
  return STAGES.flatMap((stage) =>
    sorted
      .filter((n) => (stage === 'Test' ? n === 'Test' : n.startsWith(stage)))
      .map((script) => ({ stage, script })),
  )
}

/** The first reason a root agent would refuse the file, as core's checkHookSafety decides. */
export async function refusal(hooksDir: string, file: string): Promise<ListedHook['refused']> {
  const realDir = await realpath(hooksDir)
  const realFile = await realpath(file).catch(() => undefined)
  if (realFile === undefined) return { reason: `${file} is a symlink to a missing file`, fix: `rm ${file}` }
  const inside = (p: string) => p === realDir || p.startsWith(realDir.endsWith(sep) ? realDir : realDir + sep)
  if (!inside(realFile)) {
    return {
      reason: `${file} leads to ${realFile}, outside ${hooksDir}`,
      fix: `rm ${file} && cp ${realFile} ${file}`,
    }
  }
  const chain = [realDir]
  for (let p = dirname(realFile); p !== realDir && inside(p); p = dirname(p)) chain.splice(1, 0, p)
  for (const p of [...chain, realFile]) {
    const shown = join(hooksDir, relative(realDir, p))
    const facts = await stat(p)
    const isHook = p === realFile
    if (isHook && !facts.isFile())
      return { reason: `${shown} is not a regular file`, fix: `move it out of ${dirname(shown)}` }
    if (facts.uid !== 0)
      return { reason: `${shown} is owned by uid ${facts.uid}, not root`, fix: `chown root ${shown}` }
    if ((facts.mode & 0o022) !== 0) {
      const who = (facts.mode & 0o020) !== 0 ? 'its group' : 'others'
      return { reason: `${shown} is writable by ${who}`, fix: `chmod go-w ${shown}` }
    }
    if (isHook && (facts.mode & 0o100) === 0) {
      return { reason: `${shown} is not executable by its owner`, fix: `chmod u+x ${shown}` }
    }
  }
  return null
}

async function describeHook(
  hooksDir: string,
  folder: string,
  stage: ListedHook['stage'],
  script: string,
): Promise<ListedHook> {
  const path = join(folder, script)
  const facts = await lstat(path)
  const text = facts.isFile() && facts.size < 4096 ? await readFile(path, 'utf8').catch(() => '') : ''
  const hook = /^# ipfo hook "([^"]+)"/m.exec(text)?.[1] ?? null
  return {
    stage,
    script,
    path,
    mode: (facts.mode & 0o7777).toString(8).padStart(4, '0'),
    owner: facts.uid === 0 ? 'root' : `uid ${facts.uid}`,
    hook,
    sidecar: existsSync(sidecarPath(path)),
    refused: await refusal(hooksDir, path),
  }
}

/** Every address folder (or one) with its hooks in run order. */
export async function listHooks(hooksDir: string, address?: string): Promise<ListedAddress[]> {
  if (!existsSync(hooksDir)) {
    throw new ConfigError(`the hooks folder ${hooksDir} does not exist`, {
      hint: 'install a hook with "ipfo hooks add", or pass --dir / set hooks.dir in the config',
    })
  }
  const wanted = address === undefined ? undefined : addressFolderName(address)
  const entries = await readdir(hooksDir, { withFileTypes: true })
  const folders = entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && (wanted === undefined || e.name === wanted))
    .map((e) => e.name)
    .sort(byteOrder)
  const listed: ListedAddress[] = []
  for (const name of folders) {
    const folder = join(hooksDir, name)
    const scripts = runOrder(await readdir(folder).catch(() => []))
    const hooks = await Promise.all(
      scripts.map(({ stage, script }) => describeHook(hooksDir, folder, stage, script)),
    )
    listed.push({ address: name, folder, hooks })
  }
  return listed
}
