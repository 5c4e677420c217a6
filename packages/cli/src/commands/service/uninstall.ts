import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'

export default class ServiceUninstall extends IpfoCommand {
  static override summary = 'Remove the service file "ipfo service install" wrote.'
  static override examples = ['<%= config.bin %> service uninstall']
  static override flags = {
    dir: Flags.string({
      description: 'where it was written (default /etc/systemd/system, or /Library/LaunchDaemons)',
    }),
    platform: Flags.string({
      options: ['linux', 'darwin'],
      description: 'the platform whose service to remove',
    }),
  }

  async run(): Promise<{ removed: string | null; next: string[] }> {
    const { flags } = await this.parse(ServiceUninstall)
    const { uninstallService } = await import('../../service/install.js')
    const result = await uninstallService({
      platform: (flags.platform as NodeJS.Platform | undefined) ?? process.platform,
      ...(flags.dir ? { dir: flags.dir } : {}),
    })
    this.log(result.removed ? `removed ${result.removed}` : 'no service file was installed')
    for (const step of result.next) this.log(`next: ${step}`)
    return result
  }
}
