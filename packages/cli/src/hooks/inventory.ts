import { existsSync } from 'node:fs'
import { lstat, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '@ipfo/core/errors'
import { HOOK_PHASES } from '@ipfo/core/hook-contract'
import { checkHookSafety } from '@ipfo/core/hook-safety'
import { byteOrder, stageScripts } from '@ipfo/core/hooks-layout'
import { sidecarPath } from '@ipfo/hooks-stdlib/sidecar'
import { addressFolderName } from './address-folder.js'

/**
 * What `ipfo hooks list` shows: every script of every address folder, in the order the agent runs
 * them, with whether an agent running as root would refuse it, by the agent's own rules.
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

/** The scripts of a folder in run order: `Test`, then each phase's names in byte-wise order. */
export function runOrder(names: readonly string[]): { stage: ListedHook['stage']; script: string }[] {
  return STAGES.flatMap((stage) => stageScripts(stage, names).map((script) => ({ stage, script })))
}

/** Why a root agent would refuse the file (core's own check), or null. */
async function refusal(hooksDir: string, file: string): Promise<ListedHook['refused']> {
  const verdict = await checkHookSafety(hooksDir, file, { uid: 0 })
  return verdict.ok ? null : { reason: verdict.reason, fix: verdict.fix }
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
