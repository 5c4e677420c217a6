import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'
import { hooksDirFlags } from '../../hooks/flags.js'
import type { ListedAddress } from '../../hooks/inventory.js'

export default class HooksList extends IpfoCommand {
  static override summary =
    'List installed hooks per address, in the order they run, and any the agent would refuse.'
  static override examples = [
    '<%= config.bin %> hooks list',
    '<%= config.bin %> hooks list --address 192.168.1.100 --json',
  ]
  static override flags = {
    address: Flags.string({ description: 'only this address' }),
    ...hooksDirFlags,
  }

  async run(): Promise<{ hooksDir: string; addresses: ListedAddress[] }> {
    const { flags } = await this.parse(HooksList)
    const { listInstalledHooks } = await import('../../everyday/hooks-list.js')
    return listInstalledHooks(flags, this.output())
  }
}
