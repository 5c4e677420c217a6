import * as Flags from '@oclif/core/flags'
import { DEFAULT_CONFIG, IpfoCommand } from '../base-command.js'
import type { CheckResult } from '../doctor/check.js'

export default class Doctor extends IpfoCommand {
  static override summary =
    'Check this node before (and while) it runs: config, key, tools, interfaces, port, firewall, peers.'
  static override description =
    "Each check prints a verdict (pass, warn, fail) and, for anything not passing, what to do. Exits 1 when a check fails. It reads the firewall rules (nft or iptables-save, as root) to see whether heartbeats get in on every link. With a running agent it also checks every peer on every link, the peers' interval, key, addresses and clocks."
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --config /etc/ipfo/ipfo.yaml --json',
  ]
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file', default: DEFAULT_CONFIG }),
  }

  async run(): Promise<{ ok: boolean; checks: CheckResult[] }> {
    const { flags } = await this.parse(Doctor)
    const { systemCommandRunner } = await import('@ipfo/core/agent')
    const { runDoctor } = await import('../doctor/run-doctor.js')
    const { liveOutput, styleFor } = await import('../render/style.js')
    const { startProgress } = await import('../render/progress.js')
    const human = !this.jsonEnabled()
    const progress = await startProgress(
      human && liveOutput(process.stdout, process.stderr, process.env),
      'ipfo doctor',
    )
    const checks = await runDoctor(flags.config, { runner: systemCommandRunner, progress: progress.update })
    const ok = checks.every((c) => c.verdict !== 'fail')
    progress.stop(ok ? 'done' : 'some checks failed')
    if (human) {
      const { renderVerdicts, summarizeVerdicts } = await import('../render/verdicts.js')
      const style = styleFor(process.stdout, process.env)
      this.log(`${renderVerdicts(checks, style)}\n\n${summarizeVerdicts(checks, style)}`)
    }
    if (!ok) process.exitCode = 1
    return { ok, checks }
  }
}
