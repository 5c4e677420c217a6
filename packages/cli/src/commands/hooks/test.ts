import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'
import type { DryRunResult } from '../../hooks/dry-run.js'
import { hooksDirFlags } from '../../hooks/flags.js'

export default class HooksTest extends IpfoCommand {
  static override summary =
    "Run one phase of an address's hooks against a simulated event (no address is changed)."
  static override description =
    'The hooks run exactly as the agent runs them: same order, timeouts, safety checks, argv and IPFO_* variables. Use it after "ipfo hooks add" to see each hook work before a real failover needs it.'
  static override examples = [
    '<%= config.bin %> hooks test 192.168.1.100 --phase PostAcq',
    '<%= config.bin %> hooks test 192.168.1.100 --phase Test --json',
  ]
  static override args = {
    address: Args.string({ description: 'the address whose folder to run', required: true }),
  }
  static override flags = {
    ...hooksDirFlags,
    phase: Flags.string({ options: ['Test', 'PreAcq', 'PostAcq', 'PreRel', 'PostRel'], required: true }),
    interface: Flags.string({ description: 'the interface to tell the hooks (default: from the config)' }),
  }

  async run(): Promise<DryRunResult> {
    const { args, flags } = await this.parse(HooksTest)
    const { parseCidr, ConfigError, hooksSchema } = await import('@ipfo/core')
    const { resolveHooksDir } = await import('../../hooks/hooks-dir.js')
    const { configuredAddress, dryRunPhase } = await import('../../hooks/dry-run.js')
    const parsed = parseCidr(args.address)
    if (!parsed.ok)
      throw new ConfigError(parsed.reason, { hint: 'e.g. ipfo hooks test 192.168.1.100 --phase PostAcq' })
    const known = await configuredAddress(flags.config, parsed.ip)
    const result = await dryRunPhase({
      hooksDir: await resolveHooksDir(flags),
      phase: flags.phase as DryRunResult['phase'],
      ip: parsed.ip,
      prefix: known?.prefix ?? parsed.prefix,
      interface: flags.interface ?? known?.interface ?? 'eth0',
      node: known?.node,
      peer: known?.peer ?? 'peer',
      hooks: known?.hooks ?? hooksSchema.parse({}),
      uid: process.getuid?.(),
    })
    for (const h of result.hooks) {
      const how = h.timedOut ? 'TIMED OUT' : h.exitCode === 0 ? 'ok' : `exit ${h.exitCode}`
      this.log(`${how.padEnd(9)} ${h.script} (${h.durationMs}ms)`)
      for (const line of `${h.stdout}${h.stderr}`.trim().split('\n').filter(Boolean))
        this.log(`          | ${line}`)
    }
    for (const r of result.refused) this.log(`REFUSED   ${r.path}: ${r.reason} (fix: ${r.fix})`)
    if (result.hooks.length === 0 && result.refused.length === 0)
      this.log(`no ${result.phase} hooks for ${result.address}`)
    this.log(`verdict: ${result.verdict}`)
    return result
  }
}
