import type { NetatalkVolumeSettings } from './node-settings.js'

/** How check messages name a volume: quoted, or [Homes] for the per-user home volumes. */
export function describeVolume(volume: Pick<NetatalkVolumeSettings, 'name' | 'perUser'>): string {
  return volume.perUser ? '[Homes]' : `"${volume.name}"`
}

export function describeVolumes(
  volumes: readonly Pick<NetatalkVolumeSettings, 'name' | 'perUser'>[],
): string {
  return volumes.map(describeVolume).join(', ')
}

/** `1 volume`, `3 volumes`. */
export function volumeCount(count: number): string {
  return count === 1 ? '1 volume' : `${count} volumes`
}
