import type { AfpCheckReport } from '@ipfo/afp'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'

export default class AfpCheck extends IpfoCommand {
  static override summary = 'Check that open AFP sessions can survive a failover of this macOS server.'
  static override description =
    "A verdict per item: the plist is AppleFileServer's; reconnectKeyLocation is set; it is on a mounted volume other than the startup volume; that volume is mounted now; the key file is root's and private; the reconnect settings allow reconnection. Exits 1 when an item fails. Mount the shared volume before AFP needs it with the mount hook in PreAcq."
  static override examples = [
    '<%= config.bin %> afp check',
    '<%= config.bin %> afp check --plist ./com.apple.AppleFileServer.plist --json',
  ]
  static override flags = {
    plist: Flags.string({
      description: "the AFP server's plist",
      default: '/Library/Preferences/com.apple.AppleFileServer.plist',
    }),
  }

  async run(): Promise<AfpCheckReport> {
    const { flags } = await this.parse(AfpCheck)
    const { checkAfp, nodeFs, systemMountTable } = await import('@ipfo/afp')
    const report = await checkAfp({ fs: nodeFs, mounts: systemMountTable() }, flags.plist)
    if (!this.jsonEnabled()) {
      const { printVerdicts } = await import('../../render/print-verdicts.js')
      printVerdicts(
        this,
        report.results,
        report.ok ? 'AFP sessions can reconnect after a failover' : 'some checks failed',
      )
    }
    if (!report.ok) process.exitCode = 1
    return report
  }
}
