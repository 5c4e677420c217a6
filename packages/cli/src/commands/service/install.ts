import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, IpfoCommand } from '../../base-command.js'
import type { InstalledService } from '../../service/install.js'

export default class ServiceInstall extends IpfoCommand {
  static override summary =
    'Install the agent as a system service: a systemd unit on Linux, a launchd job on macOS.'
  static override description =
    'The systemd unit is Type=notify with a watchdog (the agent reports readiness and pets it), restarts on failure, stops with SIGTERM so held addresses are released by the checklist, and is hardened. Enable it with "systemctl enable --now ipfo".'
  static override examples = [
    '<%= config.bin %> service install --config /etc/ipfo/ipfo.yaml',
    '<%= config.bin %> service install --dir /tmp/units --platform linux --json',
  ]
  static override flags = {
    config: Flags.string({
      char: 'c',
      description: 'the config file the service runs with',
      default: DEFAULT_CONFIG,
    }),
    dir: Flags.string({
      description: 'where to write it (default /etc/systemd/system, or /Library/LaunchDaemons)',
    }),
    platform: Flags.string({
      options: ['linux', 'darwin'],
      description: 'write the service of this platform',
    }),
    force: Flags.boolean({ description: 'replace an installed service file' }),
  }

  async run(): Promise<InstalledService> {
    const { flags } = await this.parse(ServiceInstall)
    const { installService } = await import('../../service/install.js')
    const installed = await installService({
      platform: (flags.platform as NodeJS.Platform | undefined) ?? process.platform,
      config: flags.config,
      ...(flags.dir ? { dir: flags.dir } : {}),
      force: flags.force,
    })
    this.log(`wrote ${installed.path}`)
    for (const step of installed.next) this.log(`next: ${step}`)
    return installed
  }
}
