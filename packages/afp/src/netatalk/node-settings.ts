import type { AfpConfDocument } from './afp-conf.js'
import { cnidDbPath, type DbPathSource } from './cnid-dbpath.js'
import { DEFAULT_NETATALK_STATE_DIR } from './paths.js'
import { uuidOf, type VolUuidFile, type VolUuidWarning } from './voluuid.js'

/** What decides whether a Mac can resume its session on this node, for one shared volume. */
export interface NetatalkVolumeSettings {
  /** The AFP volume name: `volume name` when set, else the section name. */
  readonly name: string
  readonly section: string
  /** The shared directory; for [Homes], the optional sub-directory of each home. */
  readonly path: string | undefined
  readonly dbpath: string
  readonly dbpathFrom: DbPathSource
  /** The UUID afp_voluuid.conf gives the volume; undefined when absent or the file was not read. */
  readonly uuid: string | undefined
  /** [Homes]: one volume per user, whose names and UUIDs cannot be known in advance. */
  readonly perUser: boolean
}

/** One node's Netatalk settings that must match its peer's for AFP sessions to survive a failover. */
export interface NetatalkNodeSettings {
  readonly label: string
  readonly afpConfFile: string
  /** afp_voluuid.conf's path, or undefined when it was not read. */
  readonly voluuidFile: string | undefined
  /** [Global] `signature`; undefined when afpd makes one up (into afp_signature.conf). */
  readonly signature: string | undefined
  /** [Global] `vol dbpath` as written. */
  readonly globalDbpath: string | undefined
  readonly volumes: readonly NetatalkVolumeSettings[]
  /** Files pulled in with `include =`; their settings are not part of this. */
  readonly includes: readonly string[]
  readonly voluuidWarnings: readonly VolUuidWarning[]
}

/**
 * Gather a node's settings from its parsed afp.conf and afp_voluuid.conf. `label` names the node
 * in messages. `stateDir` is afpd's state directory, where CNID databases go by default.
 */
export function nodeSettings(
  afpConf: AfpConfDocument,
  voluuid: VolUuidFile | undefined,
  label: string,
  options: { stateDir?: string } = {},
): NetatalkNodeSettings {
  const stateDir = options.stateDir ?? DEFAULT_NETATALK_STATE_DIR
  const volume = (section: string, name: string, path: string | undefined, perUser: boolean) => {
    const { dbpath, from } = cnidDbPath(afpConf, { section, name, path }, stateDir)
    const uuid = voluuid && !perUser ? uuidOf(voluuid, name) : undefined
    return { name, section, path, dbpath, dbpathFrom: from, uuid, perUser }
  }
  const volumes = afpConf
    .volumes()
    .map((v) => volume(v.section, afpConf.get(v.section, 'volume name') ?? v.section, v.path, false))
  const homes = afpConf.sections().find((s) => s.toLowerCase() === 'homes')
  if (homes !== undefined)
    volumes.push(
      volume(homes, afpConf.get(homes, 'home name') ?? "$u's home", afpConf.get(homes, 'path'), true),
    )
  return {
    label,
    afpConfFile: afpConf.file,
    voluuidFile: voluuid?.file,
    signature: afpConf.get('Global', 'signature') || undefined,
    globalDbpath: afpConf.get('Global', 'vol dbpath'),
    volumes,
    includes: afpConf
      .params()
      .filter((p) => p.name.toLowerCase() === 'include')
      .map((p) => p.value),
    voluuidWarnings: voluuid?.warnings ?? [],
  }
}
