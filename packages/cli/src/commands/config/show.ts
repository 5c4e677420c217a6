import type { Config } from '@ipfo/core'
import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, IpfoCommand } from '../../base-command.js'

export default class ConfigShow extends IpfoCommand {
  static override summary = 'Print the config as the agent sees it: defaults filled in, durations in ms.'
  static override examples = ['<%= config.bin %> config show --json']
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file', default: DEFAULT_CONFIG }),
  }

  async run(): Promise<Config> {
    const { flags } = await this.parse(ConfigShow)
    const { readFile } = await import('node:fs/promises')
    const { parseConfig, ConfigError } = await import('@ipfo/core')
    const text = await readFile(flags.config, 'utf8').catch(() => {
      throw new ConfigError(`config file ${flags.config} cannot be read`, {
        file: flags.config,
        hint: 'pass --config with the right path',
      })
    })
    const config = parseConfig(text, flags.config)
    if (!this.jsonEnabled()) this.log(JSON.stringify(config, null, 2))
    return config
  }
}
