import type { Output } from '../everyday/output.js'
import { type FlagValue, integerAtLeast, type ValueParser } from './parse-argv.js'

type Flags = Readonly<Record<string, FlagValue>>

/** An everyday command as the fast path runs it: the same body as its oclif class. */
export interface FastCommand {
  /** The oclif id, e.g. `config:check` (typed as `ipfo config check`). */
  readonly id: string
  /** Boolean flags that send the run to oclif: --debug (stack traces), --watch, --follow. */
  readonly toOclif: readonly string[]
  /** Parsers of option flags that are not plain strings (as the oclif class declares them). */
  readonly values: Readonly<Record<string, ValueParser>>
  run(flags: Flags, args: readonly string[], out: Output): Promise<unknown>
}

const agent = (flags: Flags) => ({
  config: flags.config as string,
  socket: flags.socket as string | undefined,
})

export const FAST_COMMANDS: readonly FastCommand[] = [
  {
    id: 'status',
    toOclif: ['debug', 'watch'],
    values: { every: integerAtLeast(50) },
    run: async (flags, _, out) => (await import('../everyday/status.js')).showStatus(agent(flags), out),
  },
  {
    id: 'events',
    toOclif: ['debug', 'follow'],
    values: {},
    run: async (flags, _, out) =>
      (await import('../everyday/events.js')).showEvents({ ...agent(flags), json: flags.json === true }, out),
  },
  {
    id: 'takeover',
    toOclif: ['debug'],
    values: {},
    run: async (flags, args, out) =>
      (await import('../everyday/agent-requests.js')).takeover(agent(flags), args[0]!, out),
  },
  {
    id: 'release',
    toOclif: ['debug'],
    values: {},
    run: async (flags, args, out) =>
      (await import('../everyday/agent-requests.js')).release(agent(flags), args[0]!, out),
  },
  {
    id: 'maintenance',
    toOclif: ['debug'],
    values: {},
    run: async (flags, args, out) =>
      (await import('../everyday/agent-requests.js')).maintenance(agent(flags), args[0]!, out),
  },
  {
    id: 'config:check',
    toOclif: ['debug'],
    values: {},
    run: async (flags, _, out) =>
      (await import('../everyday/config-check.js')).checkConfigFile(flags.config as string, out),
  },
  {
    id: 'hooks:list',
    toOclif: ['debug'],
    values: {},
    run: async (flags, _, out) =>
      (await import('../everyday/hooks-list.js')).listInstalledHooks(
        {
          config: flags.config as string,
          dir: flags.dir as string | undefined,
          address: flags.address as string | undefined,
        },
        out,
      ),
  },
]
