import { HOOK_PHASES, NOTIFY_EVENTS } from '@ipfo/core'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { IpfoCommand } from '../../base-command.js'
import { hooksDirFlags } from '../../hooks/flags.js'
import type { Installed } from '../../hooks/install.js'

export default class HooksAdd extends IpfoCommand {
  static override summary =
    'Install one hook for an address: a stdlib hook or an npm package that exports one.'
  static override description =
    'Writes <hooks dir>/<ip>/<Phase>-<order>-<hook> (mode 0755, owned by root) and its options in a sidecar <script>.json (mode 0600). Secrets are only given by reference (passwordFile, passwordEnv, tokenFile, tokenEnv). <hook> is a stdlib hook (afp, email, log, mount, service, webhook), or a package whose package.json has "ipfoHook": { "bin": "..." }.'
  static override examples = [
    '<%= config.bin %> hooks add email --address 192.168.1.100 --phase PostAcq --option url=smtp://mail.example.com:587 --option to=admin@example.com',
    '<%= config.bin %> hooks add mount --address 192.168.1.100 --phase PreAcq --order 10 --option type=nfs --option source=nas:/export/data --option target=/srv/data',
    '<%= config.bin %> hooks add @acme/ipfo-hook-pagerduty --address 192.168.1.100 --phase PostAcq',
    '<%= config.bin %> hooks add email --phase Notify --option url=smtp://mail.example.com:587',
  ]
  static override args = {
    hook: Args.string({
      description: 'a stdlib hook name, an npm package name, or a package folder',
      required: true,
    }),
  }
  static override flags = {
    address: Flags.string({ description: 'the address the hook is for (its folder); not for Notify' }),
    phase: Flags.string({
      description: `when it runs; Notify: on an event (${NOTIFY_EVENTS.join(', ')}), from the top of the hooks folder`,
      options: [...HOOK_PHASES, 'Notify'],
      required: true,
    }),
    order: Flags.integer({
      description: 'its place within the phase, 0-99 (scripts run in name order)',
      default: 50,
    }),
    option: Flags.string({
      description: 'a hook option as key=value (repeatable)',
      multiple: true,
      default: [],
    }),
    force: Flags.boolean({ description: 'replace a hook of the same name' }),
    ...hooksDirFlags,
  }

  async run(): Promise<Installed> {
    const { args, flags } = await this.parse(HooksAdd)
    const { resolveHooksDir } = await import('../../hooks/hooks-dir.js')
    const { resolveHook } = await import('../../hooks/resolve-hook.js')
    const { checkOptions, installHook, parseOptionFlags } = await import('../../hooks/install.js')
    const hook = await resolveHook(args.hook)
    const options = parseOptionFlags(flags.option)
    checkOptions(hook, options)
    const phase = flags.phase as (typeof HOOK_PHASES)[number] | 'Notify'
    if (phase === 'Notify' && hook.definition && !hook.definition.notify) {
      const { ConfigError } = await import('@ipfo/core/errors')
      const { STDLIB_HOOKS, stdlibHooks } = await import('@ipfo/hooks-stdlib')
      const able = STDLIB_HOOKS.filter((name) => stdlibHooks[name].notify).join(', ')
      throw new ConfigError(`the ${hook.name} hook cannot be a Notify hook: it only acts on an address`, {
        hint: `install it for an address (--address <ip> --phase PostAcq, ...); for Notify use ${able}`,
      })
    }
    if (phase !== 'Notify' && !flags.address) {
      const { ConfigError } = await import('@ipfo/core/errors')
      throw new ConfigError(`--address is needed for a ${phase} hook`, {
        hint: `e.g. ipfo hooks add ${args.hook} --address 192.168.1.100 --phase ${phase}`,
      })
    }
    const installed = await installHook({
      hooksDir: await resolveHooksDir(flags),
      address: flags.address ?? '',
      phase,
      order: flags.order,
      hook,
      options,
      force: flags.force,
    })
    this.log(`installed ${installed.path} (${whenItRuns(phase, installed.address)})`)
    this.log(`options: ${installed.sidecar} (mode 0600)`)
    return installed
  }
}

function whenItRuns(phase: (typeof HOOK_PHASES)[number] | 'Notify', address: string): string {
  if (phase === 'Notify') return `runs on these events: ${NOTIFY_EVENTS.join(', ')}`
  const when = phase.startsWith('Pre') ? 'before' : 'after'
  return `runs ${when} ${address} is ${phase.endsWith('Acq') ? 'acquired' : 'released'}`
}
