import type { AfpConfDocument } from './afp-conf.js'
import { DEFAULT_NETATALK_STATE_DIR } from './paths.js'

/** Which setting put a volume's CNID database where it is. */
export type DbPathSource = 'dbnest' | 'volume' | 'preset' | 'global' | 'default'

export interface CnidDbPath {
  /** The database directory, `$v` filled in; other variables (`$u`, `$h`, ...) are left as written. */
  readonly dbpath: string
  readonly from: DbPathSource
}

/**
 * Where afpd keeps a volume's CNID database, following Netatalk 3.1's rules:
 * - `vol dbnest = yes` in [Global] puts it inside the volume itself;
 * - else `vol dbpath` of the volume's section, or of its preset section (`vol preset` of the volume,
 *   else of [Global]), is used as written;
 * - else [Global]'s `vol dbpath`, with `/<volume name>` appended when it holds no `$` variable;
 * - else `<state dir>/CNID/<volume name>` (/var/lib/netatalk/CNID/... on Debian).
 * A `/` in the volume name becomes `:` in the directory name, as afpd does.
 */
export function cnidDbPath(
  doc: AfpConfDocument,
  volume: { section: string; name: string; path: string | undefined },
  stateDir = DEFAULT_NETATALK_STATE_DIR,
): CnidDbPath {
  const dirName = volume.name.replaceAll('/', ':')
  if (isTrue(doc.get('Global', 'vol dbnest')) && volume.path !== undefined)
    return { dbpath: normalize(volume.path), from: 'dbnest' }
  const own = doc.get(volume.section, 'vol dbpath')
  if (own !== undefined) return resolved(own, 'volume', dirName)
  const preset = doc.get(volume.section, 'vol preset') ?? doc.get('Global', 'vol preset')
  const fromPreset = preset === undefined ? undefined : doc.get(preset, 'vol dbpath')
  if (fromPreset !== undefined) return resolved(fromPreset, 'preset', dirName)
  const global = doc.get('Global', 'vol dbpath')
  if (global !== undefined)
    return resolved(global.includes('$') ? global : `${global}/${dirName}`, 'global', dirName)
  return resolved(`${stateDir}/CNID/${dirName}`, 'default', dirName)
}

/**
 * The fixed directory a database path starts with, before any variable that only afpd can fill in
 * (`/srv/cnid/$u/db` gives `/srv/cnid`); `` when the path starts with one.
 */
export function fixedDirectory(dbpath: string): string {
  const variable = dbpath.indexOf('$')
  if (variable === -1) return dbpath
  const before = dbpath.slice(0, variable)
  return normalize(before.slice(0, before.lastIndexOf('/') + 1))
}

function resolved(template: string, from: DbPathSource, dirName: string): CnidDbPath {
  const dbpath = template.replace(/\$([v$])/g, (_, c: string) => (c === 'v' ? dirName : '$'))
  return { dbpath: normalize(dbpath), from }
}

/** afpd's reading of a boolean: yes, true or 1 by their first letter. */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^[yYtT1]/.test(value)
}

/** Collapse repeated slashes and drop a trailing one, so equal directories compare equal. */
export function normalize(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/')
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed
}
