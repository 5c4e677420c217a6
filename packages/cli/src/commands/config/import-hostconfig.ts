import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'

export default class ImportHostconfig extends IpfoCommand {
  static override summary = 'Turn an Apple /etc/hostconfig (FAILOVER_* keys) into an ipfo config on stdout.'
  static override description =
    'Reads FAILOVER_BCAST_IPS (a primary) or FAILOVER_PEER_IP and FAILOVER_PEER_IP_PAIRS (a secondary), and FAILOVER_EMAIL_RECIPIENT. The notes at the top of the output say what to check.'
  static override examples = [
    '<%= config.bin %> config import-hostconfig /etc/hostconfig --key /etc/ipfo/heartbeat.key > /etc/ipfo/ipfo.yaml',
  ]
  static override args = {
    file: Args.string({ description: 'the hostconfig file', default: '/etc/hostconfig' }),
  }
  static override flags = {
    key: Flags.string({ description: 'the heartbeat key file the config will use', required: true }),
    node: Flags.string({ description: "this node's id (default: primary or secondary)" }),
    peer: Flags.string({ description: "the peer's node id (default: secondary or primary)" }),
  }

  async run(): Promise<{ config: unknown; notes: string[] }> {
    const { args, flags } = await this.parse(ImportHostconfig)
    const { readFile } = await import('node:fs/promises')
    const { importHostconfig, stringifyConfig, ConfigError } = await import('@ipfo/core')
    const text = await readFile(args.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`${args.file} cannot be read (${error.code})`, {
        file: args.file,
        hint: 'pass the path of a hostconfig file',
      })
    })
    const result = importHostconfig(text, {
      file: args.file,
      keyPath: flags.key,
      ...(flags.node ? { node: flags.node } : {}),
      ...(flags.peer ? { peerNode: flags.peer } : {}),
    })
    if (!this.jsonEnabled()) process.stdout.write(stringifyConfig(result.config, result.notes))
    return result
  }
}
