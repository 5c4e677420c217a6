import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG } from '../base-command.js'

/** The flags every `ipfo hooks` command shares: where the hook folders are. */
export const hooksDirFlags = {
  dir: Flags.string({
    description:
      'the hooks folder (default: hooks.dir of --config, else /etc/ipfo/hooks, or /Library/IPFailover on macOS)',
  }),
  config: Flags.string({
    char: 'c',
    description: "the agent's config file (for hooks.dir)",
    default: DEFAULT_CONFIG,
  }),
}
