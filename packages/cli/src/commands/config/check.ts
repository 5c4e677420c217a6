import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, IpfoCommand } from '../../base-command.js'
import type { ConfigSummary } from '../../everyday/config-check.js'

export default class ConfigCheck extends IpfoCommand {
  static override summary = 'Check a config file and its key, then exit (like heartbeatd -n).'
  static override examples = ['<%= config.bin %> config check --config /etc/ipfo/ipfo.yaml']
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file', default: DEFAULT_CONFIG }),
  }

  async run(): Promise<ConfigSummary> {
    const { flags } = await this.parse(ConfigCheck)
    const { checkConfigFile } = await import('../../everyday/config-check.js')
    return checkConfigFile(flags.config, this.output())
  }
}
