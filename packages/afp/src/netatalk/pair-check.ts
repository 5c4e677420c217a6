import type { CheckItem } from './check-item.js'
import { cnidShared, dbpathsMatch, type SharedStorageLookup } from './cnid-check.js'
import type { NetatalkNodeSettings } from './node-settings.js'
import { shellWord } from './shell-word.js'
import { volumeSetsMatch, volumeUuids, volumeUuidsMatch } from './volume-uuid-check.js'

export interface NetatalkPairCheckOptions {
  /** Looks up paths on the local node only: the peer's mounts are not visible from here. */
  readonly isShared: SharedStorageLookup
  /** A signature to propose when neither node has one, e.g. from `generateSignature()`. */
  readonly suggestedSignature?: string
}

/**
 * Whether Mac clients can resume their AFP sessions when Netatalk moves from one node to the other:
 * both present the same server signature, give each volume the same UUID, and keep the CNID
 * databases (which map files to the IDs clients hold) on the shared storage that moves with them.
 * Without a peer, only the local node's own settings are checked.
 */
export function checkNetatalkPair(
  local: NetatalkNodeSettings,
  peer: NetatalkNodeSettings | undefined,
  options: NetatalkPairCheckOptions,
): CheckItem[] {
  const nodes = peer ? [local, peer] : [local]
  const otherOf = (node: NetatalkNodeSettings) => (node === local ? peer : local)
  // Ids name the node's role, not its host name, so scripts can rely on them.
  const role = (id: string) =>
    id.endsWith(`.${local.label}`)
      ? `${id.slice(0, -local.label.length)}local`
      : peer && id.endsWith(`.${peer.label}`)
        ? `${id.slice(0, -peer.label.length)}peer`
        : id
  const items = [
    ...nodes.map((node) => signatureSet(node, otherOf(node), options.suggestedSignature)),
    ...(peer ? signaturesMatch(local, peer) : []),
    ...nodes.flatMap((node) => volumeUuids(node, otherOf(node))),
    ...(peer ? [...volumeSetsMatch(local, peer), ...volumeUuidsMatch(local, peer)] : []),
    ...cnidShared(local, options.isShared),
    ...(peer ? dbpathsMatch(local, peer) : []),
    ...nodes.flatMap(includesNotChecked),
  ]
  return items.map((item) => ({ ...item, check: role(item.check) }))
}

function signatureSet(
  node: NetatalkNodeSettings,
  other: NetatalkNodeSettings | undefined,
  suggested: string | undefined,
): CheckItem {
  const id = `netatalk.signature.${node.label}`
  if (node.signature !== undefined)
    return {
      check: id,
      verdict: 'pass',
      detail: `${node.label}: ${node.afpConfFile} sets signature = ${node.signature}`,
    }
  const signature = other?.signature ?? suggested
  const command = `ipfo afp netatalk configure --signature ${signature === undefined ? '<16 letters or digits>' : shellWord(signature)}`
  return {
    check: id,
    verdict: 'fail',
    detail:
      `${node.label}: ${node.afpConfFile} sets no signature in [Global], so afpd makes one up ` +
      'and keeps it in afp_signature.conf; each node then looks like a different server to the Macs',
    hint:
      other?.signature === undefined
        ? `on both nodes, run \`${command}\` and restart netatalk`
        : `on ${node.label}, run \`${command}\` (${other.label}'s signature) and restart netatalk`,
  }
}

function signaturesMatch(local: NetatalkNodeSettings, peer: NetatalkNodeSettings): CheckItem[] {
  if (local.signature === undefined || peer.signature === undefined) return []
  const id = 'netatalk.signature.pair'
  if (local.signature === peer.signature)
    return [
      {
        check: id,
        verdict: 'pass',
        detail: `${local.label} and ${peer.label} both present signature ${local.signature}`,
      },
    ]
  return [
    {
      check: id,
      verdict: 'fail',
      detail: `${local.label} presents signature ${local.signature} (${local.afpConfFile}), ${peer.label} ${peer.signature} (${peer.afpConfFile})`,
      hint: `on ${peer.label}, run \`ipfo afp netatalk configure --signature ${shellWord(local.signature)}\` and restart netatalk`,
    },
  ]
}

function includesNotChecked(node: NetatalkNodeSettings): CheckItem[] {
  return node.includes.map((file) => ({
    check: `netatalk.include.${node.label}`,
    verdict: 'warn' as const,
    detail: `${node.label}: ${node.afpConfFile} includes ${file}, whose settings were not checked`,
    hint: `check ${file} by hand on both nodes, or move its settings into afp.conf`,
  }))
}
