import type { CheckItem } from './check-item.js'
import { fixedDirectory } from './cnid-dbpath.js'
import { describeVolume, describeVolumes, volumeCount } from './describe-volume.js'
import type { NetatalkNodeSettings, NetatalkVolumeSettings } from './node-settings.js'
import { shellWord } from './shell-word.js'

/** Whether a path on this node lies on a shared volume (not the startup disk), and which mount holds it. */
export interface SharedStorageVerdict {
  readonly shared: boolean
  readonly mountPoint: string
  readonly reason?: string
}

export type SharedStorageLookup = (path: string) => SharedStorageVerdict

/** The CNID database of every volume lies on shared storage (looked up on the local node only). */
export function cnidShared(node: NetatalkNodeSettings, isShared: SharedStorageLookup): CheckItem[] {
  const id = `netatalk.cnid.${node.label}`
  const looked = node.volumes.map((volume) => {
    const directory = fixedDirectory(volume.dbpath)
    return { volume, verdict: directory === '' ? undefined : isShared(directory) }
  })
  const items: CheckItem[] = []
  const unknown = looked.filter((l) => l.verdict === undefined).map((l) => l.volume)
  const local = looked.filter((l) => l.verdict !== undefined && !l.verdict.shared)
  if (local.length > 0) {
    const where = local.map(({ volume, verdict }) => {
      const reason = verdict!.reason === undefined ? '' : `, ${verdict!.reason}`
      return `${describeVolume(volume)} (${volume.dbpath} on ${verdict!.mountPoint}${reason})`
    })
    items.push({
      check: id,
      verdict: 'fail',
      detail:
        `${node.label}: the CNID databases of ${where.join(', ')} are not on shared storage; ` +
        'after a failover the other node would use its own, and the IDs the Macs hold would not match',
      hint: cnidHint(
        node,
        local.map((l) => l.volume),
        isShared,
      ),
    })
  } else if (looked.length > unknown.length) {
    const mounts = [...new Set(looked.flatMap((l) => (l.verdict ? [l.verdict.mountPoint] : [])))]
    items.push({
      check: id,
      verdict: 'pass',
      detail: `${node.label}: the CNID databases of ${volumeCount(looked.length - unknown.length)} are on shared storage (${mounts.join(', ')})`,
    })
  }
  if (unknown.length > 0)
    items.push({
      check: `netatalk.cnid-unknown.${node.label}`,
      verdict: 'warn',
      detail: `${node.label}: where the CNID databases of ${describeVolumes(unknown)} go depends on a variable only afpd fills in (${unknown.map((v) => v.dbpath).join(', ')})`,
      hint: 'start vol dbpath with a fixed directory on shared storage',
    })
  return items
}

function cnidHint(
  node: NetatalkNodeSettings,
  volumes: NetatalkVolumeSettings[],
  isShared: SharedStorageLookup,
): string {
  if (volumes.every((v) => v.dbpathFrom === 'dbnest'))
    return 'vol dbnest keeps each database inside its volume, so put the volumes themselves on shared storage'
  const sharedMount = node.volumes
    .filter((v) => !v.perUser && v.path !== undefined)
    .map((v) => isShared(v.path!))
    .find((verdict) => verdict.shared)?.mountPoint
  const directory =
    sharedMount === undefined
      ? '<a directory on shared storage>'
      : `${sharedMount.replace(/\/$/, '')}/netatalk/CNID`
  const overrides = volumes.filter((v) => v.dbpathFrom === 'volume' || v.dbpathFrom === 'preset')
  return [
    `stop netatalk on both nodes, move the databases to ${directory}, and on both nodes run \`ipfo afp netatalk configure --dbpath ${shellWord(directory)}\``,
    ...(overrides.length > 0
      ? [
          `also remove vol dbpath from ${overrides.map((v) => `[${v.section}]`).join(', ')} (or its preset) in ${node.afpConfFile}`,
        ]
      : []),
  ].join('; ')
}

/** Both nodes keep the CNID database of each volume they share in the same directory. */
export function dbpathsMatch(local: NetatalkNodeSettings, peer: NetatalkNodeSettings): CheckItem[] {
  const id = 'netatalk.dbpath.pair'
  const pairs = local.volumes.flatMap((v) => {
    const theirs = peer.volumes.find((w) => w.name === v.name)
    return theirs ? [{ volume: v, ours: v.dbpath, theirs: theirs.dbpath }] : []
  })
  if (pairs.length === 0) return []
  const differing = pairs.filter((p) => p.ours !== p.theirs)
  if (differing.length === 0)
    return [
      {
        check: id,
        verdict: 'pass',
        detail: `${local.label} and ${peer.label} keep the CNID databases of the ${volumeCount(pairs.length)} they share in the same directories`,
      },
    ]
  return [
    {
      check: id,
      verdict: 'fail',
      detail: `vol dbpath differs between ${local.label} and ${peer.label} for ${differing
        .map((p) => `${describeVolume(p.volume)} (${p.ours} vs ${p.theirs})`)
        .join(', ')}`,
      hint:
        local.globalDbpath === undefined
          ? `give vol dbpath the same value in ${local.afpConfFile} on both nodes (\`ipfo afp netatalk configure --dbpath <directory>\`)`
          : `on ${peer.label}, run \`ipfo afp netatalk configure --dbpath ${shellWord(local.globalDbpath)}\` and restart netatalk`,
    },
  ]
}
