import { randomInt } from 'node:crypto'
import { ConfigError } from '@ipfo/core/errors'
import { type AfpConfDocument, MAX_SIGNATURE_LENGTH } from './afp-conf.js'

export interface NetatalkConfigureRequest {
  /** [Global] `signature`: 1 to 16 printable ASCII characters, the same on both nodes. */
  readonly signature?: string
  /** [Global] `vol dbpath`: an absolute directory on shared storage; `$v` stands for the volume name. */
  readonly dbpath?: string
}

export interface NetatalkConfigureChange {
  readonly section: string
  readonly name: string
  readonly from: string | undefined
  readonly to: string
}

export interface NetatalkConfigurePlan {
  /** afp.conf with the changes made; the same document when there are none. */
  readonly document: AfpConfDocument
  /** Empty when afp.conf already says what was asked. */
  readonly changes: readonly NetatalkConfigureChange[]
}

/**
 * Plan the afp.conf edits that let sessions survive a failover, without writing anything.
 * @throws ConfigError when a requested value is not one afpd can use.
 */
export function planNetatalkConfigure(
  doc: AfpConfDocument,
  request: NetatalkConfigureRequest,
): NetatalkConfigurePlan {
  const wanted: [name: string, value: string | undefined][] = [
    ['signature', request.signature === undefined ? undefined : validSignature(request.signature, doc.file)],
    ['vol dbpath', request.dbpath === undefined ? undefined : validDbpath(request.dbpath, doc.file)],
  ]
  let document = doc
  const changes: NetatalkConfigureChange[] = []
  for (const [name, to] of wanted) {
    if (to === undefined) continue
    const from = document.get('Global', name)
    if (from === to) continue
    document = document.set('Global', name, to)
    changes.push({ section: 'Global', name, from, to })
  }
  return { document, changes }
}

const SIGNATURE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fresh signature: 16 characters from [A-Za-z0-9], drawn uniformly with node:crypto. */
export function generateSignature(randomIndex: (size: number) => number = randomInt): string {
  return Array.from(
    { length: MAX_SIGNATURE_LENGTH },
    () => SIGNATURE_ALPHABET[randomIndex(SIGNATURE_ALPHABET.length)],
  ).join('')
}

function validSignature(signature: string, file: string): string {
  // afpd trims the value and keeps 16 bytes, so only printable ASCII without outer spaces survives intact.
  if (/^[\x21-\x7e]([\x20-\x7e]{0,14}[\x21-\x7e])?$/.test(signature)) return signature
  throw new ConfigError(
    `signature ${JSON.stringify(signature)} is not 1 to ${MAX_SIGNATURE_LENGTH} printable ASCII characters`,
    {
      file,
      path: 'Global.signature',
      hint: 'use up to 16 letters and digits (ipfo can generate one), and the same one on both nodes',
    },
  )
}

function validDbpath(dbpath: string, file: string): string {
  if (dbpath.startsWith('/') && !/[\r\n]/.test(dbpath) && dbpath === dbpath.trim()) return dbpath
  throw new ConfigError(`vol dbpath ${JSON.stringify(dbpath)} is not an absolute path`, {
    file,
    path: 'Global.vol dbpath',
    hint: 'give a directory on the shared storage starting with /, e.g. /srv/afp/netatalk/CNID',
  })
}
