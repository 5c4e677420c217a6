import type { AfpStatus } from '@ipfo/afp'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'

export default class AfpStatusCommand extends IpfoCommand {
  static override summary =
    'Show where the AFP reconnect key is, the reconnect settings, and whether the key exists.'
  static override description =
    'Reads com.apple.AppleFileServer.plist (XML or binary). For open AFP sessions to survive a failover, reconnectKeyLocation must point at storage both nodes mount; see `ipfo afp check`.'
  static override examples = [
    '<%= config.bin %> afp status',
    '<%= config.bin %> afp status --plist /Library/Preferences/com.apple.AppleFileServer.plist --json',
  ]
  static override flags = {
    plist: Flags.string({
      description: "the AFP server's plist",
      default: '/Library/Preferences/com.apple.AppleFileServer.plist',
    }),
  }

  async run(): Promise<AfpStatus> {
    const { flags } = await this.parse(AfpStatusCommand)
    const { afpStatus, nodeFs, systemMountTable } = await import('@ipfo/afp')
    const status = await afpStatus({ fs: nodeFs, mounts: systemMountTable() }, flags.plist)
    const or = (v: number | string | null, fallback: string) =>
      v === null ? `${fallback} (default)` : String(v)
    const key = status.key.exists
      ? `present, mode ${status.key.mode}, uid ${status.key.uid}`
      : 'missing (AFP writes it when a client first connects)'
    const volume = status.volume.shared
      ? `shared volume ${status.volume.mountPoint} (${status.volume.source})`
      : `startup volume: the other node cannot read it`
    this.log(`plist                ${status.plist} (${status.format})`)
    this.log(
      `reconnectKeyLocation ${status.reconnectKeyLocation}${status.locationIsDefault ? ' (default)' : ''}`,
    )
    this.log(`  on                 ${volume}`)
    this.log(`  key                ${key}`)
    this.log(`reconnectTTLInMin    ${or(status.reconnectTTLInMin, '1440')}`)
    this.log(`recon1SrvrKeyTTLHrs  ${or(status.recon1SrvrKeyTTLHrs, '168')}`)
    this.log(`reconnectFlag        ${or(status.reconnectFlag, 'no_admin_kills')}`)
    return status
  }
}
