import type { CheckItem } from './check-item.js'
import { describeVolumes, volumeCount } from './describe-volume.js'
import type { NetatalkNodeSettings } from './node-settings.js'
import { DEFAULT_VOLUUID_PATH } from './paths.js'

/** Each volume in the node's afp.conf has a UUID in its afp_voluuid.conf, and afpd reads every line. */
export function volumeUuids(
  node: NetatalkNodeSettings,
  other: NetatalkNodeSettings | undefined,
): CheckItem[] {
  const id = `netatalk.voluuid.${node.label}`
  const volumes = node.volumes.filter((v) => !v.perUser)
  if (node.voluuidFile === undefined)
    return [
      {
        check: id,
        verdict: 'warn',
        detail: `${node.label}: afp_voluuid.conf was not read, so the volume UUIDs cannot be checked`,
        hint: `make ${DEFAULT_VOLUUID_PATH} (or wherever afpd keeps it) on ${node.label} readable to ipfo`,
      },
    ]
  const items: CheckItem[] = []
  const missing = volumes.filter((v) => v.uuid === undefined)
  const otherHasAll =
    other?.voluuidFile !== undefined && missing.every((v) => uuidIn(other, v.name) !== undefined)
  if (missing.length > 0)
    items.push({
      check: id,
      verdict: 'fail',
      detail:
        `${node.label}: ${node.voluuidFile} has no UUID for ${describeVolumes(missing)}; afpd will make up ` +
        "new ones when it shares them, and they will not be the other node's",
      hint:
        other && otherHasAll
          ? `stop netatalk on ${node.label}, ${copyCommand(other, node)}, then start netatalk`
          : `start netatalk once on ${node.label} so afpd writes the UUIDs, then copy ${node.voluuidFile} to the other node while netatalk is stopped there`,
    })
  else if (volumes.length > 0)
    items.push({
      check: id,
      verdict: 'pass',
      detail: `${node.label}: ${node.voluuidFile} has a UUID for each of the ${volumeCount(volumes.length)} in ${node.afpConfFile}`,
    })
  if (node.voluuidWarnings.length > 0)
    items.push({
      check: `netatalk.voluuid-lines.${node.label}`,
      verdict: 'warn',
      detail: `${node.label}: afpd skips these lines: ${node.voluuidWarnings.map((w) => w.message).join('; ')}`,
      hint: `correct or delete those lines of ${node.voluuidFile}`,
    })
  return items
}

/** Both nodes share the same volumes. */
export function volumeSetsMatch(local: NetatalkNodeSettings, peer: NetatalkNodeSettings): CheckItem[] {
  const id = 'netatalk.volumes.pair'
  const onlyIn = (a: NetatalkNodeSettings, b: NetatalkNodeSettings) =>
    a.volumes.filter((v) => !b.volumes.some((w) => w.name === v.name))
  const onlyLocal = onlyIn(local, peer)
  const onlyPeer = onlyIn(peer, local)
  if (onlyLocal.length === 0 && onlyPeer.length === 0)
    return [
      {
        check: id,
        verdict: 'pass',
        detail: `${local.label} and ${peer.label} share the same ${volumeCount(local.volumes.length)}`,
      },
    ]
  const parts = [
    ...(onlyLocal.length > 0 ? [`${describeVolumes(onlyLocal)} only on ${local.label}`] : []),
    ...(onlyPeer.length > 0 ? [`${describeVolumes(onlyPeer)} only on ${peer.label}`] : []),
  ]
  return [
    {
      check: id,
      verdict: 'warn',
      detail: `the two afp.conf files share different volumes: ${parts.join('; ')}`,
      hint: `define the same volume sections in afp.conf on ${local.label} and ${peer.label}`,
    },
  ]
}

/** Both nodes give each volume they share the same UUID. */
export function volumeUuidsMatch(local: NetatalkNodeSettings, peer: NetatalkNodeSettings): CheckItem[] {
  if (local.voluuidFile === undefined || peer.voluuidFile === undefined) return []
  const id = 'netatalk.voluuid.pair'
  const shared = local.volumes.filter((v) => !v.perUser && peer.volumes.some((w) => w.name === v.name))
  const differing = shared.flatMap((v) => {
    const theirs = uuidIn(peer, v.name)
    if (v.uuid === theirs) return []
    return [`"${v.name}" (${v.uuid ?? `none on ${local.label}`} vs ${theirs ?? `none on ${peer.label}`})`]
  })
  if (differing.length === 0)
    return shared.length === 0
      ? []
      : [
          {
            check: id,
            verdict: 'pass',
            detail: `${local.label} and ${peer.label} give the same UUIDs to the ${volumeCount(shared.length)} they both share`,
          },
        ]
  return [
    {
      check: id,
      verdict: 'fail',
      detail: `${local.voluuidFile} on ${local.label} and ${peer.voluuidFile} on ${peer.label} disagree about ${differing.join(', ')}`,
      hint:
        `stop netatalk on ${peer.label}, ${copyCommand(local, peer)}, then start netatalk ` +
        `(or copy the other way if the Macs know ${peer.label}'s UUIDs)`,
    },
  ]
}

function uuidIn(node: NetatalkNodeSettings, volume: string): string | undefined {
  return node.volumes.find((v) => v.name === volume)?.uuid
}

function copyCommand(from: NetatalkNodeSettings, to: NetatalkNodeSettings): string {
  return from.voluuidFile === to.voluuidFile
    ? `copy ${from.voluuidFile} from ${from.label} to the same path on ${to.label}`
    : `copy ${from.voluuidFile} from ${from.label} to ${to.voluuidFile} on ${to.label}`
}
