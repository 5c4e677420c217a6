import { join } from 'node:path'
import type { HookStage } from '../model/hook-contract.js'
import { normalizeIp } from '../model/ip.js'

/**
 * Which files of an address folder run, and in which order: Apple's /Library/IPFailover rules.
 * Pure: it gets a folder listing and answers with names; reading the folder and running the files
 * happen elsewhere.
 */

/** The folder name for an address: the IP as ipfo spells it (IPv6 compressed, lower case: `fd00::50`). */
export function addressFolderName(ip: string): string {
  return normalizeIp(ip)
}

/** `<hooksDir>/<ip>`, the folder holding one address's Test and phase scripts. */
export function addressFolder(hooksDir: string, ip: string): string {
  return join(hooksDir, addressFolderName(ip))
}

/**
 * Files that are never hooks even when their name matches: dotfiles, `*.json` option files of
 * stdlib hooks (`PostAcq-50-email.json`) and editor backups (`PostAcq-10-web~`).
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.json') || name.endsWith('~')
}

/**
 * The scripts of one stage in a folder listing, in the order they run.
 * - `Test`: the file named exactly `Test`, if any.
 * - a phase: every name that starts with the phase (`PostAcq_10_mysql`, `PostAcq-50-email`, and, as
 *   on Apple's servers, `PostAcquire`), in byte-wise order of the UTF-8 names (what `LC_ALL=C ls`
 *   shows), so the order does not depend on the locale.
 */
export function stageScripts(stage: HookStage, names: readonly string[]): string[] {
  if (stage === 'Test') return names.includes('Test') ? ['Test'] : []
  return names.filter((name) => name.startsWith(stage) && !isIgnoredName(name)).sort(byteOrder)
}

/** Compares strings by their UTF-8 bytes, as C's strcmp does. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Where hook folders live unless `hooks.dir` says otherwise: Apple's own tree on macOS. */
export function defaultHooksDir(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? '/Library/IPFailover' : '/etc/ipfo/hooks'
}
