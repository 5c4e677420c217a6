import { readAfpSettings } from './afp-settings.js'
import type { AfpFs } from './fs-port.js'
import { volumeOfPath } from './key-volume.js'
import type { MountTable } from './mounts.js'
import { AFP_PLIST_PATH } from './paths.js'

/** What `ipfo afp status --json` prints. */
export interface AfpStatus {
  readonly plist: string
  readonly format: 'xml' | 'binary'
  readonly reconnectKeyLocation: string
  readonly locationIsDefault: boolean
  readonly reconnectTTLInMin: number | null
  readonly recon1SrvrKeyTTLHrs: number | null
  readonly reconnectFlag: string | null
  readonly key: { readonly exists: boolean; readonly mode: string | null; readonly uid: number | null }
  readonly volume: {
    readonly mountPoint: string | null
    readonly source: string | null
    readonly shared: boolean
  }
}

export async function afpStatus(
  deps: { fs: AfpFs; mounts: MountTable },
  plist: string = AFP_PLIST_PATH,
): Promise<AfpStatus> {
  const s = await readAfpSettings(deps.fs, plist)
  const key = await deps.fs.stat(s.reconnectKeyLocation).catch(() => undefined)
  const volume = await volumeOfPath(deps.fs, deps.mounts, s.reconnectKeyLocation)
  return {
    plist,
    format: s.document.format,
    reconnectKeyLocation: s.reconnectKeyLocation,
    locationIsDefault: s.locationIsDefault,
    reconnectTTLInMin: s.reconnectTTLInMin ?? null,
    recon1SrvrKeyTTLHrs: s.recon1SrvrKeyTTLHrs ?? null,
    reconnectFlag: s.reconnectFlag ?? null,
    key: {
      exists: key !== undefined,
      mode: key ? (key.mode & 0o7777).toString(8).padStart(4, '0') : null,
      uid: key ? key.uid : null,
    },
    volume: {
      mountPoint: volume.mount?.mountPoint ?? null,
      source: volume.mount?.source ?? null,
      shared: volume.shared,
    },
  }
}
