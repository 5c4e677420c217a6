import type { SetReconnectKeyResult } from '@ipfo/afp'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../../base-command.js'

export default class AfpReconnectKeySet extends IpfoCommand {
  static override summary = 'Point the AFP reconnect key at a shared volume, optionally moving the key there.'
  static override description =
    'Sets reconnectKeyLocation in com.apple.AppleFileServer.plist, keeping its format (XML or binary) and every other key, written atomically with a timestamped backup. With --move-existing the current key is copied there first (mode 0600, owned by root) and removed from the startup disk once the plist points at it. Refuses a path on the startup volume. Restart AFP afterwards (the afp hook does it on takeover).'
  static override examples = [
    '<%= config.bin %> afp reconnect-key set /Volumes/Shared/AFP/AFP.conf --move-existing',
    '<%= config.bin %> afp reconnect-key set /Volumes/Shared/AFP/AFP.conf --plist ./com.apple.AppleFileServer.plist --json',
  ]
  static override args = {
    path: Args.string({ description: 'the key file on the shared volume', required: true }),
  }
  static override flags = {
    plist: Flags.string({
      description: "the AFP server's plist",
      default: '/Library/Preferences/com.apple.AppleFileServer.plist',
    }),
    'move-existing': Flags.boolean({
      description: 'move the current key file to the new location',
      default: false,
    }),
  }

  async run(): Promise<SetReconnectKeyResult> {
    const { args, flags } = await this.parse(AfpReconnectKeySet)
    const { nodeFs, setReconnectKey, systemMountTable } = await import('@ipfo/afp')
    const result = await setReconnectKey(
      { fs: nodeFs, mounts: systemMountTable() },
      { plist: flags.plist, target: args.path, moveExisting: flags['move-existing'] },
    )
    if (!result.changed) this.log(`${result.plist} already points at ${result.location}; nothing to do`)
    else {
      this.log(`reconnectKeyLocation: ${result.previous} -> ${result.location} (${result.format} plist kept)`)
      if (result.moved) this.log(`moved the key to ${result.location} (0600, root)`)
      this.log(`backup of the old plist: ${result.backup}`)
      this.log('restart AFP to use it: sudo serveradmin stop afp && sudo serveradmin start afp')
    }
    for (const note of result.notes) this.warn(note)
    return result
  }
}
