import { writeFileAtomic } from './atomic-write.js'
import type { CheckResult } from './check-result.js'
import { AfpError, describeFsError } from './errors.js'
import type { AfpFs } from './fs-port.js'
import { volumeOfPath } from './key-volume.js'
import type { MountTable } from './mounts.js'
import { type AfpConfDocument, parseAfpConf } from './netatalk/afp-conf.js'
import type { SharedStorageVerdict } from './netatalk/cnid-check.js'
import { fixedDirectory } from './netatalk/cnid-dbpath.js'
import {
  generateSignature,
  type NetatalkConfigureChange,
  planNetatalkConfigure,
} from './netatalk/configure.js'
import { type NetatalkNodeSettings, nodeSettings } from './netatalk/node-settings.js'
import { checkNetatalkPair } from './netatalk/pair-check.js'
import { DEFAULT_AFP_CONF_PATH, DEFAULT_VOLUUID_PATH } from './netatalk/paths.js'
import { parseVolUuidFile } from './netatalk/voluuid.js'

/** One node's Netatalk files: afp.conf and (optionally) afp_voluuid.conf. */
export interface NetatalkFiles {
  readonly conf: string
  /** Undefined or a missing file: the volume UUIDs are not checked for this node. */
  readonly voluuid?: string | undefined
  /** How messages name this node. */
  readonly label: string
}

const text = async (fs: AfpFs, file: string): Promise<string> => {
  try {
    return new TextDecoder().decode(await fs.readFile(file))
  } catch (error) {
    const { what, hint } = describeFsError(error)
    throw new AfpError(`cannot read ${file}: ${what}`, { file, hint, cause: error })
  }
}

async function readNode(
  fs: AfpFs,
  files: NetatalkFiles,
): Promise<{ doc: AfpConfDocument; settings: NetatalkNodeSettings }> {
  const doc = parseAfpConf(await text(fs, files.conf), files.conf)
  const voluuidPath = files.voluuid
  const voluuid =
    voluuidPath === undefined
      ? undefined
      : await fs.readFile(voluuidPath).then(
          (b) => parseVolUuidFile(new TextDecoder().decode(b), voluuidPath),
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return undefined
            throw new AfpError(`cannot read ${voluuidPath}: ${describeFsError(error).what}`, {
              file: voluuidPath,
            })
          },
        )
  return { doc, settings: nodeSettings(doc, voluuid, files.label) }
}

export interface NetatalkCheckReport {
  readonly ok: boolean
  readonly local: NetatalkFiles
  readonly peer: NetatalkFiles | undefined
  readonly results: CheckResult[]
}

/**
 * `ipfo afp netatalk check`: this node's afp.conf (and afp_voluuid.conf), compared with the peer's
 * copies when given: same signature, same volume UUIDs, CNID databases on shared storage.
 */
export async function checkNetatalk(
  deps: { fs: AfpFs; mounts: MountTable },
  request: { local?: Partial<NetatalkFiles>; peer?: NetatalkFiles },
): Promise<NetatalkCheckReport> {
  const local: NetatalkFiles = {
    conf: request.local?.conf ?? DEFAULT_AFP_CONF_PATH,
    voluuid: request.local?.voluuid ?? DEFAULT_VOLUUID_PATH,
    label: request.local?.label ?? 'this node',
  }
  const mine = await readNode(deps.fs, local)
  const theirs = request.peer ? await readNode(deps.fs, request.peer) : undefined
  const verdicts = new Map<string, SharedStorageVerdict>()
  for (const volume of mine.settings.volumes) {
    const directory = fixedDirectory(volume.dbpath)
    if (directory === '' || verdicts.has(directory)) continue
    const v = await volumeOfPath(deps.fs, deps.mounts, `${directory.replace(/\/$/, '')}/x`)
    verdicts.set(directory, {
      shared: v.shared,
      mountPoint: v.mount?.mountPoint ?? '/',
      ...(v.missingMount
        ? { reason: `nothing is mounted at ${v.missingMount}` }
        : v.mount?.startup && v.mount.mountPoint !== '/'
          ? { reason: 'a bind mount of the startup disk' }
          : {}),
    })
  }
  const results = checkNetatalkPair(mine.settings, theirs?.settings, {
    isShared: (path) => verdicts.get(path) ?? { shared: false, mountPoint: '/', reason: 'not looked up' },
    suggestedSignature: generateSignature(),
  })
  return { ok: results.every((r) => r.verdict !== 'fail'), local, peer: request.peer, results }
}

export interface NetatalkConfigureResult {
  readonly conf: string
  readonly changes: readonly NetatalkConfigureChange[]
  readonly backup: string | undefined
  readonly notes: string[]
}

/**
 * `ipfo afp netatalk configure`: sets `signature` and `vol dbpath` in [Global], editing afp.conf in
 * place (comments, order and every other line kept), atomically, with a backup. `signature: true`
 * generates one.
 */
export async function configureNetatalk(
  deps: { fs: AfpFs },
  request: { conf?: string; signature?: string | true; dbpath?: string; dryRun?: boolean; now?: () => Date },
): Promise<NetatalkConfigureResult> {
  const conf = request.conf ?? DEFAULT_AFP_CONF_PATH
  const doc = parseAfpConf(await text(deps.fs, conf), conf)
  const signature =
    request.signature === true ? (doc.get('Global', 'signature') ?? generateSignature()) : request.signature
  const plan = planNetatalkConfigure(doc, {
    ...(signature === undefined ? {} : { signature }),
    ...(request.dbpath === undefined ? {} : { dbpath: request.dbpath }),
  })
  if (plan.changes.length === 0 || request.dryRun)
    return { conf, changes: plan.changes, backup: undefined, notes: [] }
  const written = await writeFileAtomic(deps.fs, conf, new TextEncoder().encode(plan.document.render()), {
    backup: true,
    ...(request.now ? { now: request.now } : {}),
  })
  return {
    conf,
    changes: plan.changes,
    backup: written.backup,
    notes: written.warning ? [written.warning] : [],
  }
}
