import { describe, expect, it } from 'vitest'
import { mountOf, parseDarwinMount, parseMountinfo } from './mounts.js'

/** Recorded on Debian 12 (trimmed): root on vda, a bind mount of /srv/afp-local, an NFS share. */
const MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
28 27 0:25 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=2467664k,mode=755
40 27 254:0 /srv/afp-local /mnt/bound rw,relatime - ext4 /dev/vda rw
41 27 0:52 / /mnt/shared\\040storage rw,relatime shared:30 - nfs4 nas:/export/afp rw,vers=4.2
`

/** Recorded \`mount\` output on macOS 13 with an external HFS+ disk and an SMB share. */
const DARWIN_MOUNT = `/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
devfs on /dev (devfs, local, nobrowse)
/dev/disk3s6 on /System/Volumes/VM (apfs, local, noexec, journaled, noatime, nobrowse)
/dev/disk3s5 on /System/Volumes/Data (apfs, local, journaled, nobrowse, protect)
map auto_home on /System/Volumes/Data/home (autofs, automounted, nobrowse)
/dev/disk5s2 on /Volumes/Shared Storage (hfs, local, journaled)
//admin@nas.local/afp on /Volumes/afp (smbfs, nodev, nosuid, mounted by admin)
`

describe('mount tables', () => {
  it('reads Linux mountinfo: octal escapes, and a bind mount of the root disk counts as the startup volume', () => {
    const mounts = parseMountinfo(MOUNTINFO)
    expect(mounts.map((m) => [m.mountPoint, m.fsType, m.startup])).toEqual([
      ['/proc', 'proc', false],
      ['/', 'ext4', true],
      ['/run', 'tmpfs', false],
      ['/mnt/bound', 'ext4', true],
      ['/mnt/shared storage', 'nfs4', false],
    ])
    expect(mountOf('/mnt/shared storage/AFP.conf', mounts)?.source).toBe('nas:/export/afp')
    expect(mountOf('/mnt/shared', mounts)?.mountPoint).toBe('/')
    expect(mountOf('/etc/AFP.conf', mounts)?.mountPoint).toBe('/')
  })

  it('reads macOS mount output: / and its data volume are the startup volume', () => {
    const mounts = parseDarwinMount(DARWIN_MOUNT)
    const on = (path: string) => {
      const m = mountOf(path, mounts)
      return [m?.mountPoint, m?.fsType, m?.startup]
    }
    expect(on('/private/etc/AFP.conf')).toEqual(['/', 'apfs', true])
    expect(on('/System/Volumes/Data/private/etc/AFP.conf')).toEqual(['/System/Volumes/Data', 'apfs', true])
    expect(on('/Volumes/Shared Storage/AFP/AFP.conf')).toEqual(['/Volumes/Shared Storage', 'hfs', false])
    expect(on('/Volumes/afp/AFP.conf')).toEqual(['/Volumes/afp', 'smbfs', false])
    expect(mountOf('/Volumes/afp/x', mounts)?.source).toBe('//admin@nas.local/afp')
  })
})
