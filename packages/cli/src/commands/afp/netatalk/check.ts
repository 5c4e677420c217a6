import type { NetatalkCheckReport } from '@ipfo/afp'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../../base-command.js'

export default class AfpNetatalkCheck extends IpfoCommand {
  static override summary =
    'Check that a Netatalk pair lets Mac clients resume their sessions after a failover.'
  static override description =
    "Reads this node's afp.conf and afp_voluuid.conf and, given the peer's copies (--peer-conf, --peer-voluuid), compares them: both nodes must present the same server signature (afp.conf `signature`), give each volume the same UUID, and keep the CNID databases (`vol dbpath`) on the shared storage. A verdict per item; exits 1 when one fails."
  static override examples = [
    '<%= config.bin %> afp netatalk check',
    '<%= config.bin %> afp netatalk check --peer-conf /tmp/beta/afp.conf --peer-voluuid /tmp/beta/afp_voluuid.conf --peer-name beta',
    '<%= config.bin %> afp netatalk check --conf ./afp.conf --json',
  ]
  static override flags = {
    conf: Flags.string({ description: "this node's afp.conf", default: '/etc/netatalk/afp.conf' }),
    voluuid: Flags.string({
      description: "this node's afp_voluuid.conf",
      default: '/var/lib/netatalk/afp_voluuid.conf',
    }),
    name: Flags.string({ description: 'how messages name this node (default: the host name)' }),
    'peer-conf': Flags.string({ description: "the peer's afp.conf (copied here, e.g. with scp)" }),
    'peer-voluuid': Flags.string({ description: "the peer's afp_voluuid.conf", dependsOn: ['peer-conf'] }),
    'peer-name': Flags.string({ description: 'how messages name the peer', default: 'peer' }),
  }

  async run(): Promise<NetatalkCheckReport> {
    const { flags } = await this.parse(AfpNetatalkCheck)
    const { checkNetatalk, nodeFs, systemMountTable } = await import('@ipfo/afp')
    const { hostname } = await import('node:os')
    const report = await checkNetatalk(
      { fs: nodeFs, mounts: systemMountTable() },
      {
        local: { conf: flags.conf, voluuid: flags.voluuid, label: flags.name ?? hostname() },
        ...(flags['peer-conf']
          ? { peer: { conf: flags['peer-conf'], voluuid: flags['peer-voluuid'], label: flags['peer-name'] } }
          : {}),
      },
    )
    if (!this.jsonEnabled()) {
      const { printVerdicts } = await import('../../../render/print-verdicts.js')
      printVerdicts(
        this,
        report.results,
        report.ok ? 'sessions can move between the two nodes' : 'some checks failed',
      )
    }
    if (!report.ok) process.exitCode = 1
    return report
  }
}
