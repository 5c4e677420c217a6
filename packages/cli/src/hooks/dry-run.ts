import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventBody, HookContext, HookStage, HooksConfig } from '@ipfo/core'

export interface DryRunResult {
  readonly phase: HookStage
  readonly address: string
  /** Test: proceed or notify-only; a phase: whether it would let the checklist go on. */
  readonly verdict: 'proceed' | 'notify-only' | 'ok' | 'stopped'
  readonly hooks: {
    readonly script: string
    readonly exitCode: number | null
    readonly timedOut: boolean
    readonly durationMs: number
    readonly stdout: string
    readonly stderr: string
  }[]
  readonly refused: { readonly path: string; readonly reason: string; readonly fix: string }[]
}

/**
 * Runs one phase of one address folder against a simulated event, exactly as the agent would (same
 * selection, order, safety checks, timeouts and environment), and changes no address.
 */
export async function dryRunPhase(opts: {
  hooksDir: string
  phase: HookStage
  ip: string
  prefix: number
  interface: string
  node: string | undefined
  peer: string
  hooks: HooksConfig
  uid: number | undefined
}): Promise<DryRunResult> {
  const { appleHooks } = await import('@ipfo/core')
  const { hookProcessRunner } = await import('@ipfo/core/agent')
  const resultsDir = await mkdtemp(join(tmpdir(), 'ipfo-hooks-test-'))
  const events: EventBody[] = []
  try {
    const port = appleHooks({
      dir: opts.hooksDir,
      config: opts.hooks,
      runAsRoot: opts.uid === 0,
      emit: (event) => events.push(event),
      run: hookProcessRunner(),
      resultsDir,
    })
    const release = opts.phase === 'PreRel' || opts.phase === 'PostRel'
    const ctx: HookContext = {
      action: release ? 'release' : 'acquire',
      owner: opts.peer,
      node: opts.node ?? hostname(),
      peer: opts.peer,
      addresses: [{ interface: opts.interface, ip: opts.ip, prefix: opts.prefix }],
      reason: 'ipfo hooks test (a dry run: no address is changed)',
      eventTime: Date.now(),
      detectionMs: 0,
    }
    const verdict =
      opts.phase === 'Test'
        ? await port.gate(ctx)
        : (await port.runPhase(opts.phase, ctx)).ok
          ? ('ok' as const)
          : ('stopped' as const)
    const hooks = events.flatMap((e) =>
      e.kind === 'hook-finished'
        ? [
            {
              script: e.script,
              exitCode: e.exitCode,
              timedOut: e.timedOut,
              durationMs: e.durationMs,
              stdout: e.stdout,
              stderr: e.stderr,
            },
          ]
        : [],
    )
    const refused = events.flatMap((e) =>
      e.kind === 'hook-refused' ? [{ path: e.path, reason: e.reason, fix: e.fix }] : [],
    )
    return { phase: opts.phase, address: `${opts.ip}/${opts.prefix}`, verdict, hooks, refused }
  } finally {
    await rm(resultsDir, { recursive: true, force: true })
  }
}

/** The interface and prefix the config gives this address, if it lists it. */
export async function configuredAddress(
  configFile: string,
  ip: string,
): Promise<
  { interface: string; prefix: number; node: string; peer: string; hooks: HooksConfig } | undefined
> {
  const { parseConfig } = await import('@ipfo/core')
  const text = await readFile(configFile, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const config = parseConfig(text, configFile)
  const owners = [
    { owner: config.node, addresses: config.owns },
    ...config.peers.map((p) => ({ owner: p.id, addresses: p.takeover })),
  ]
  for (const o of owners) {
    const a = o.addresses.find((x) => x.ip === ip)
    if (a)
      return {
        interface: a.interface,
        prefix: a.prefix,
        node: config.node,
        peer: o.owner,
        hooks: config.hooks,
      }
  }
  return { interface: 'eth0', prefix: 32, node: config.node, peer: 'peer', hooks: config.hooks }
}
