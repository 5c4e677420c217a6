import * as Args from '@oclif/core/args'
import { IpfoCommand } from '../../base-command.js'
import { hooksDirFlags } from '../../hooks/flags.js'

export default class HooksRemove extends IpfoCommand {
  static override summary = 'Remove an installed hook script and its options file.'
  static override examples = ['<%= config.bin %> hooks remove 192.168.1.100 PostAcq-50-email']
  static override args = {
    address: Args.string({ description: 'the address the hook is for', required: true }),
    script: Args.string({ description: 'the script name, as "ipfo hooks list" shows it', required: true }),
  }
  static override flags = { ...hooksDirFlags }

  async run(): Promise<{ removed: string[] }> {
    const { args, flags } = await this.parse(HooksRemove)
    const { resolveHooksDir } = await import('../../hooks/hooks-dir.js')
    const { removeHook } = await import('../../hooks/install.js')
    const result = await removeHook(await resolveHooksDir(flags), args.address, args.script)
    for (const path of result.removed) this.log(`removed ${path}`)
    return result
  }
}
