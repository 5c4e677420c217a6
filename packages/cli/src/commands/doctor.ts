import type { AgentStatus } from '@ipfo/core'
import { Flags } from '@oclif/core'
import { DEFAULT_CONFIG, IpfoCommand } from '../base-command.js'
import type { CheckResult } from '../doctor/check.js'

export default class Doctor extends IpfoCommand {
  static override summary =
    'Check this node before (and while) it runs: config, key, tools, interfaces, port, peers.'
  static override description =
    "Each check prints a verdict (pass, warn, fail) and, for anything not passing, what to do. Exits 1 when a check fails. With a running agent it also checks every peer on every link, the peers' interval and the clocks."
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --config /etc/ipfo/ipfo.yaml --json',
  ]
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the config file', default: DEFAULT_CONFIG }),
  }

  async run(): Promise<{ ok: boolean; checks: CheckResult[] }> {
    const { flags } = await this.parse(Doctor)
    const { loadConfigFile, systemCommandRunner } = await import('@ipfo/core/node')
    const { controlRequest } = await import('@ipfo/core/control-client')
    const { checkInterfaces, checkPorts, checkTools } = await import('../doctor/local-checks.js')
    const { checkPeers } = await import('../doctor/peer-checks.js')
    const { fail, pass } = await import('../doctor/check.js')

    const checks: CheckResult[] = []
    const loaded = await loadConfigFile(flags.config).then(
      (l) => l,
      (error: Error & { hint?: string }) => {
        checks.push(fail('config and key', error.message, error.hint ?? 'see ipfo config check'))
        return undefined
      },
    )
    if (loaded) {
      const { config } = loaded
      checks.push(pass('config and key', `${flags.config} is valid; the key is private`))
      const status = await controlRequest<AgentStatus>(
        config.paths.socket,
        { method: 'status' },
        { timeoutMs: 2_000 },
      ).catch(() => undefined)
      checks.push(...(await checkTools(config, systemCommandRunner)))
      checks.push(...(await checkInterfaces(config, systemCommandRunner)))
      checks.push(...(await checkPorts(config, status !== undefined)))
      checks.push(...checkPeers(config, status))
    }
    const ok = checks.every((c) => c.verdict !== 'fail')
    if (!this.jsonEnabled()) {
      const mark = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL' }
      for (const c of checks) {
        this.log(`${mark[c.verdict]}  ${c.check.padEnd(28)} ${c.detail}`)
        if (c.hint) this.log(`      ${''.padEnd(28)} -> ${c.hint}`)
      }
      this.log(ok ? '\nno failures' : '\nsome checks failed')
    }
    if (!ok) process.exitCode = 1
    return { ok, checks }
  }
}
