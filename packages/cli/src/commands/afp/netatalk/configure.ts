import type { NetatalkConfigureResult } from '@ipfo/afp'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../../base-command.js'

export default class AfpNetatalkConfigure extends IpfoCommand {
  static override summary = "Set afp.conf's signature and CNID database location for a failover pair."
  static override description =
    'Edits [Global] in afp.conf in place: every comment, blank line, section and other setting is kept as it was; the file is replaced atomically with a timestamped backup, keeping its owner and mode. Run it on both nodes with the same values, then restart netatalk. Nothing is written with --dry-run, or when afp.conf already says so.'
  static override examples = [
    "<%= config.bin %> afp netatalk configure --generate-signature --dbpath '/srv/afp/.cnid/$v/' --dry-run",
    "<%= config.bin %> afp netatalk configure --signature ipfo-pair-01 --dbpath '/srv/afp/.cnid/$v/'",
  ]
  static override flags = {
    conf: Flags.string({ description: 'afp.conf', default: '/etc/netatalk/afp.conf' }),
    signature: Flags.string({
      description: 'the server signature both nodes present (1-16 characters)',
      exclusive: ['generate-signature'],
    }),
    'generate-signature': Flags.boolean({
      description: 'make up a signature (keeps the one afp.conf has)',
      default: false,
    }),
    dbpath: Flags.string({
      description: 'vol dbpath: where the CNID databases go, on the shared volume ($v is the volume name)',
    }),
    'dry-run': Flags.boolean({ description: 'show the changes, write nothing', default: false }),
  }

  async run(): Promise<NetatalkConfigureResult> {
    const { flags } = await this.parse(AfpNetatalkConfigure)
    if (flags.signature === undefined && !flags['generate-signature'] && flags.dbpath === undefined) {
      this.error('nothing to set: give --signature (or --generate-signature) and/or --dbpath', { exit: 2 })
    }
    const { configureNetatalk, nodeFs } = await import('@ipfo/afp')
    const signature = flags['generate-signature'] ? true : flags.signature
    const result = await configureNetatalk(
      { fs: nodeFs },
      {
        conf: flags.conf,
        ...(signature === undefined ? {} : { signature }),
        ...(flags.dbpath === undefined ? {} : { dbpath: flags.dbpath }),
        dryRun: flags['dry-run'],
      },
    )
    if (result.changes.length === 0) this.log(`${result.conf} already says so; nothing to change`)
    for (const c of result.changes) this.log(`[${c.section}] ${c.name}: ${c.from ?? '(not set)'} -> ${c.to}`)
    if (result.changes.length > 0) {
      if (flags['dry-run']) this.log('dry run: nothing written')
      else
        this.log(
          `written; backup: ${result.backup}\nuse the same values on the other node, then: systemctl restart netatalk`,
        )
    }
    for (const note of result.notes) this.warn(note)
    return result
  }
}
