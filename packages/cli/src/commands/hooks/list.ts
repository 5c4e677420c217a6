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
    const { resolveHooksDir } = await import('../../hooks/hooks-dir.js')
    const { listHooks } = await import('../../hooks/inventory.js')
    const hooksDir = await resolveHooksDir(flags)
    const addresses = await listHooks(hooksDir, flags.address)
    if (addresses.length === 0)
      this.log(`no hooks in ${hooksDir}${flags.address ? ` for ${flags.address}` : ''}`)
    for (const { address, hooks } of addresses) {
      this.log(`${address}:${hooks.length === 0 ? ' (no hooks)' : ''}`)
      for (const h of hooks) {
        const what = h.hook ? `  ${h.hook}${h.sidecar ? '' : ' (no options file)'}` : ''
        this.log(`  ${h.stage.padEnd(7)} ${h.script.padEnd(28)} ${h.mode} ${h.owner.padEnd(8)}${what}`)
        if (h.refused) this.log(`          REFUSED: ${h.refused.reason} (fix: ${h.refused.fix})`)
      }
    }
    return { hooksDir, addresses }
  }
}
