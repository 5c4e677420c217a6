import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../base-command.js'

export default class Keygen extends IpfoCommand {
  static override summary = 'Write a new heartbeat key file (mode 0600).'
  static override description =
    'Creates 32 random bytes as hex. Copy the same file to every node of the pair; heartbeats signed with another key are dropped.'
  static override examples = [
    '<%= config.bin %> keygen /etc/ipfo/heartbeat.key',
    '<%= config.bin %> keygen /etc/ipfo/heartbeat.key --force --json',
  ]
  static override args = {
    path: Args.string({ description: 'where to write the key', required: true }),
  }
  static override flags = {
    force: Flags.boolean({ description: 'replace an existing key file' }),
  }

  async run(): Promise<{ path: string; bytes: number; mode: string }> {
    const { args, flags } = await this.parse(Keygen)
    const { generateKey, writeKeyFile, KEY_BYTES } = await import('@ipfo/core/agent')
    await writeKeyFile(args.path, generateKey(), { force: flags.force })
    this.log(`wrote a new ${KEY_BYTES}-byte heartbeat key to ${args.path} (mode 0600)`)
    return { path: args.path, bytes: KEY_BYTES, mode: '0600' }
  }
}
