import { dirname, isAbsolute, join, resolve } from 'node:path'
import { eventLogger } from '../adapters/event-log.js'
import { type GuardProcess, type GuardProcessOptions, startGuardProcess } from '../adapters/guard-process.js'
import { takeGuardRecord } from '../adapters/guard-record.js'
import { fileJournal } from '../adapters/journal-files.js'
import { fileReplayStore } from '../adapters/replay-file.js'
import { systemClock } from '../adapters/system-clock.js'
import { parseTarget, udpTransport } from '../adapters/udp-transport.js'
import { type Config, MIN_PLAIN_INTERVAL_MS } from '../config/schema.js'
import { createEngine } from '../engine/engine.js'
import type { Engine } from '../engine/engine-api.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import { defaultHooksDir } from '../hooks/layout.js'
import type { Coordinator } from '../model/coordination.js'
import { IpfoError } from '../model/errors.js'
import type { IpfoEvent } from '../model/events.js'
import type {
  AddressControl,
  Arbiter,
  CarrierWatch,
  EventSink,
  HealthPort,
  HooksPort,
  IpBatch,
  TakeoverTrace,
} from '../model/ports.js'
import type { EventBody } from '../state-machine/effects.js'
import type { AddressPath } from './address-batch.js'
import { startControlServer } from './control-server.js'
import { type LoadedConfig, loadConfigFile } from './load-config-file.js'

export interface AgentOptions {
  readonly configFile: string
  /** The config file as already read and checked (a SIGHUP reload checks it first): not read again. */
  readonly loaded?: LoadedConfig
  readonly platform: NodeJS.Platform
  /** Replaces the platform's address control (the demo's simulated adapter, for instance). */
  readonly address?: AddressControl
  /** Replaces the hooks port built from the config's `hooks` section (Apple's folder layout). */
  readonly hooks?: HooksPort
  /** Replaces the arbiter built from the config's `arbitration` section. */
  readonly arbiter?: Arbiter
  /** The agent's user id (`process.getuid()`); as root (0), unsafe hook files are refused. */
  readonly uid?: number
  /** Also called for every event, after the log. */
  readonly onEvent?: EventSink
  /** Where the JSON-lines log goes: a file descriptor (default 1, stdout) or a path. */
  readonly log?: string | number
  /** Where optional tools (socat, arping, na6) are looked for; default: the PATH variable. */
  readonly path?: string
  /**
   * The guard program (the CLI's `GUARD_COMMAND`, perl): started beside the agent, it hands the addresses over
   * or keeps them if the agent dies without a word. Absent, no guard runs (tests, the demo).
   */
  readonly guard?: {
    readonly command: string
    readonly args: readonly string[]
    /** Set in the guard's environment, over the agent's; null removes a variable. */
    readonly env?: Readonly<Record<string, string | null>>
  }
  /**
   * Appends a JSON line for each takeover's path inside the agent to this file (the steps of
   * adapters/takeover-trace.ts), for `npm run bench:takeover-path`; absent, nothing is marked.
   */
  readonly traceTakeovers?: string
}

export interface RunningAgent {
  readonly config: Config
  readonly engine: Engine
  /** Stops the engine; `release` overrides the config's onStop (a reload keeps addresses). */
  stop(opts?: { release?: boolean }): Promise<void>
  /** Writes the events of this turn now (they are written once it is over): before an exit that cannot wait. */
  flushEvents(): void
}

/** Builds the real ports for one node, starts its engine and its control socket. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, key, acceptedKeys } = opts.loaded ?? (await loadConfigFile(opts.configFile))
  // The guard is what removes this node's addresses if the agent dies: no agent starts without it
  // (checked first, before anything is started).
  const guardCommand = opts.guard?.command
  if (guardCommand && !isAbsolute(guardCommand)) {
    const { onPath } = await import('./optional-tools.js')
    if (!onPath(process.env.PATH)(guardCommand))
      throw new IpfoError(
        `the guard's program, ${guardCommand}, is not on PATH (${process.env.PATH ?? ''})`,
        {
          hint: `install it (Debian and Ubuntu: perl-base, which is Essential; Fedora and RHEL: perl-interpreter), or put its folder on the agent's PATH: the guard removes this node's addresses if the agent dies`,
        },
      )
  }
  const log = eventLogger(opts.log ?? 1)
  const fileLog = config.paths.eventLog ? eventLogger(config.paths.eventLog) : undefined
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined
  let notify: ((event: IpfoEvent) => void) | undefined
  // Built before the engine, so it counts the first events; rehearsals have a sink of their own.
  const metrics = config.metrics
    ? await (await import('./metrics/agent-metrics.js')).agentMetrics(config, config.metrics, opts.configFile)
    : undefined
  const deliver = (event: IpfoEvent) => {
    log(event)
    fileLog?.(event)
    notify?.(event)
    metrics?.onEvent(event)
    opts.onEvent?.(event)
  }
  // Events reach the log, notifications and metrics once the turn that made them is over, in order,
  // stamped when they happened. A takeover's decision makes four events and more (heartbeats lost,
  // the peer lost, acquiring): written first, their lines held the address and its first gratuitous
  // ARP back by some 0.3 ms (issue 23's takeover path). `ipfo events --follow` gets them at once:
  // its history is the engine's, which has them already (and nothing is written when nobody follows).
  let pending: IpfoEvent[] = []
  let deliveryFailed = false
  const deliverPending = () => {
    const events = pending
    pending = []
    for (const event of events) {
      try {
        deliver(event)
      } catch (error) {
        // One sink's failure loses neither the other events nor the agent; said once.
        if (deliveryFailed) continue
        deliveryFailed = true
        report({
          kind: 'error',
          message: error instanceof Error ? error.message : String(error),
          context: `writing the ${event.kind} event`,
        })
      }
    }
  }
  const onEvent = (event: IpfoEvent) => {
    control?.publish(event)
    if (pending.push(event) === 1) setImmediate(deliverPending)
  }
  // Hook and transport events go through the engine, so they are stamped and kept for `ipfo events`.
  let engineRef: Engine | undefined
  const report = (event: EventBody) => engineRef?.report(event)
  // Address changes in-process over rtnetlink, or through one long-lived `ip -batch` (and neighbour
  // flushes through that): no fork on the way.
  const changes =
    opts.address || opts.platform !== 'linux'
      ? undefined
      : await (await import('./address-batch.js')).addressBatch(config, opts.configFile, (message) =>
          report({ kind: 'error', message, context: 'address changes' }),
        )
  const batch = changes?.batch
  // Optional tools are looked for once: a missing one is one warning at start, not an error per takeover.
  const { missingTools, onPath } = await import('./optional-tools.js')
  const missing =
    opts.address || opts.platform !== 'linux'
      ? []
      : missingTools(config, onPath(opts.path ?? process.env.PATH))
  const trace = opts.traceTakeovers
    ? (await import('../adapters/takeover-trace.js')).fileTakeoverTrace(
        opts.traceTakeovers,
        config.node,
        (message) => report({ kind: 'error', message, context: 'takeover trace' }),
      )
    : undefined
  const address =
    opts.address ??
    (await platformAddress(
      opts.platform,
      report,
      batch,
      new Set(missing.flatMap((m) => m.tools)),
      config.scheduling.realtimePriority,
      trace,
    ))
  const { prepareScheduling, checkRealtime, applyRealtime } = await import('./scheduling.js')
  const { systemCommandRunner } = await import('../adapters/command-runner.js')
  prepareScheduling(config, opts.configFile, opts.platform)
  await checkRealtime(config, opts.configFile, systemCommandRunner)
  const { preflight } = await import('./preflight.js')
  await preflight(
    config,
    address,
    opts.hooks ? undefined : hooksDirOf(config, opts),
    opts.configFile,
    opts.platform,
  )
  const folder = opts.hooks ? undefined : await folderHooks(config, opts, report)
  const hooks = opts.hooks ?? folder!.hooks
  notify = folder?.notify
  // The agent's own ports reach the guard through this, once it is started below.
  let guard: GuardProcess | undefined
  const engine = createEngine({
    config,
    keys: keyRing(heartbeatKey(key), ...acceptedKeys.map(heartbeatKey)),
    clock: systemClock,
    transport: udpTransport({
      links: config.links,
      port: config.port,
      clock: systemClock,
      onError: (message) => report({ kind: 'error', message, context: 'heartbeat transport' }),
    }),
    address,
    hooks,
    ...(await arbiterFor(config, opts)),
    journal: fileJournal(config.paths.stateDir),
    replayStore: fileReplayStore(config.paths.stateDir),
    ...(await carrierWatchFor(config, opts, report, changes)),
    ...(await healthFor(config, report)),
    ...(await coordinatorFor(config, report)),
    onEvent,
    ...(opts.guard ? { guard: { brief: (b) => guard?.brief(b), lastWord: (w) => guard?.lastWord(w) } } : {}),
    // The same log, writing nowhere: rehearsals compile its code for the real takeover's events.
    rehearsal: { onEvent: eventLogger('/dev/null') },
    ...(trace ? { trace } : {}),
  })
  engineRef = engine
  for (const m of missing)
    report({ kind: 'tools-missing', tools: [...m.tools], packages: [...m.packages], lost: m.lost })
  // Hooks a killed earlier run left running are stopped before anything else runs.
  const { reapLeftoverHooks } = await import('../adapters/hook-registry.js')
  for (const { pgid, script } of await reapLeftoverHooks(config.paths.stateDir)) {
    report({ kind: 'hook-reaped', pgid, script })
  }
  const record = await takeGuardRecord(config.paths.stateDir)
  if (record?.event) report(record.event)
  if (record?.damaged)
    report({ kind: 'error', message: record.damaged, context: "reading the guard's record" })
  if (opts.guard) guard = startGuardProcess(guardOptions(config, opts, opts.guard, report))
  const more = () => (guard ? { guard: guard.status() } : {})
  try {
    control = await startControlServer(config.paths.socket, engine, more)
    // Never throws on a port in use or an address not up: a monitoring endpoint never takes failover down.
    await metrics?.listen({
      status: () => ({ ...engine.status(), ...more() }),
      slot: (run) => engine.afterNextBeat(run),
      report,
    })
    await engine.start()
  } catch (error) {
    // A start that fails (a second agent on the same socket, a port in use) is not a crash.
    deliverPending()
    await guard?.standDown()
    await control?.close()
    await metrics?.close()
    throw error
  }
  const running: RunningAgent = {
    config,
    engine,
    async stop(stopOpts = {}) {
      try {
        await engine.stop(stopOpts)
      } finally {
        // The stop's last events, before the control socket that streams them closes.
        deliverPending()
        // Released or kept as the stop decided: the guard must not undo that.
        await guard?.standDown()
        await control?.close()
        await metrics?.close()
        log.flush()
        fileLog?.flush()
      }
    },
    flushEvents: () => {
      deliverPending()
      log.flush()
      fileLog?.flush()
    },
  }
  // Real-time only now that the start's work is done (prepareScheduling says why). checkRealtime
  // showed it can be had. Should it fail now, an agent at 10 ms or more says so and runs on at
  // normal priority; a faster one, which the config allows only at real-time priority, stops as on
  // SIGTERM (its addresses released or kept as `onStop` says) and the start fails.
  try {
    await applyRealtime(config, opts.configFile, systemCommandRunner)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (config.interval >= MIN_PLAIN_INTERVAL_MS) {
      report({ kind: 'error', message: `${message}; running at normal priority`, context: 'scheduling' })
    } else {
      report({
        kind: 'error',
        message: `${message}; stopping: an interval under ${MIN_PLAIN_INTERVAL_MS}ms is safe only at real-time priority`,
        context: 'scheduling',
      })
      // (During a reload, the restart on the old config takes back what this stop released.)
      await running.stop().catch((stopError: unknown) =>
        report({
          kind: 'error',
          message: stopError instanceof Error ? stopError.message : String(stopError),
          context: 'stopping after scheduling failed',
        }),
      )
      throw error
    }
  }
  return running
}

/** A relative hooks.dir is relative to the config file's folder, as `key` is and as `ipfo hooks add` reads it. */
function hooksDirOf(config: Config, opts: AgentOptions): string {
  return config.hooks.dir
    ? resolve(dirname(opts.configFile), config.hooks.dir)
    : defaultHooksDir(opts.platform)
}

async function arbiterFor(config: Config, opts: AgentOptions): Promise<{ arbiter?: Arbiter }> {
  if (opts.arbiter) return { arbiter: opts.arbiter }
  const { probe, witness, timeout } = config.arbitration
  if (!probe && witness.length === 0) return {}
  const [{ createArbiter }, { systemCommandRunner }] = await Promise.all([
    import('../adapters/address/arbiter.js'),
    import('../adapters/command-runner.js'),
  ])
  const platform = opts.platform === 'darwin' ? 'darwin' : 'linux'
  return {
    arbiter: createArbiter({ runner: systemCommandRunner, platform, probe, witness, timeoutMs: timeout }),
  }
}

/** The health checks' port, when the config has checks (exec checks through one helper, started here). */
async function healthFor(
  config: Config,
  report: (event: EventBody) => void,
): Promise<{ health?: HealthPort }> {
  if (Object.keys(config.checks).length === 0) return {}
  const [{ healthChecks }, { startExecChecker }] = await Promise.all([
    import('../adapters/checks/health-checks.js'),
    import('../adapters/checks/exec-checker.js'),
  ])
  // Started here, at the agent's start, when an exec check is configured: never on the heartbeat path.
  const exec = () =>
    startExecChecker({
      env: passedEnv(config),
      report: (message) => report({ kind: 'error', message, context: 'exec health checks' }),
    })
  return { health: await healthChecks(config.checks, { exec }) }
}

/** The variables of the agent's environment that hooks.passEnv hands to hooks (and exec checks). */
function passedEnv(config: Config): Record<string, string> {
  return Object.fromEntries(
    config.hooks.passEnv.flatMap((name) =>
      process.env[name] === undefined ? [] : [[name, process.env[name] as string]],
    ),
  )
}

/**
 * The quorum store of the config's `coordination` section: the etcd coordinator, on the agent's clock
 * (the engine's quorum link measures the lease's validity on the same one). The engine loads its
 * client (`prepare`) before heartbeats start.
 */
async function coordinatorFor(
  config: Config,
  report: (event: EventBody) => void,
): Promise<{ coordinator?: Coordinator }> {
  if (!config.coordination) return {}
  const { etcdCoordinator } = await import('../adapters/coordination/etcd-coordinator.js')
  return {
    coordinator: etcdCoordinator({
      config: config.coordination,
      clock: systemClock,
      onHandlerError: (error, where) =>
        report({
          kind: 'error',
          message: error instanceof Error ? error.message : String(error),
          context: where,
        }),
    }),
  }
}

/**
 * On Linux, unless the config says to ignore carriers and unless the address control is replaced
 * (demo): link notices on an rtnetlink socket of its own when address changes go over rtnetlink (no
 * process at rest), else a long-lived `ip monitor`; neighbour flushes through the agent's batch. A
 * watch that cannot start is reported by the engine ("carriers are not watched").
 */
async function carrierWatchFor(
  config: Config,
  opts: AgentOptions,
  report: (event: EventBody) => void,
  changes: { readonly batch: IpBatch; readonly path: AddressPath } | undefined,
): Promise<{ carrier?: CarrierWatch }> {
  if (config.onCarrierLoss === 'ignore' || opts.platform !== 'linux' || opts.address) return {}
  const onError = (message: string) => report({ kind: 'error', message, context: 'carrier watch' })
  const { carrierWatch, linuxCarrierWatch } = await import('../adapters/carrier-watch.js')
  if (changes?.path === 'netlink') {
    // Its socket is opened when the engine starts the watch (none is left open by a start that
    // fails before); the package loaded for the address changes already.
    const [{ netlinkLinks }, { openRtLinks }] = await Promise.all([
      import('../adapters/carrier-netlink.js'),
      import('./address-batch.js'),
    ])
    return { carrier: carrierWatch(netlinkLinks(openRtLinks), { batch: changes.batch, onError }) }
  }
  const { systemCommandRunner } = await import('../adapters/command-runner.js')
  return {
    carrier: linuxCarrierWatch({
      runner: systemCommandRunner,
      ...(changes ? { batch: changes.batch } : {}),
      onError,
    }),
  }
}

async function platformAddress(
  platform: NodeJS.Platform,
  report: (event: EventBody) => void,
  batch: IpBatch | undefined,
  missing: ReadonlySet<string>,
  realtimePriority: number | undefined,
  trace: TakeoverTrace | undefined,
): Promise<AddressControl> {
  const [{ platformAddressControl }, { systemCommandRunner }, { socatFrames }, { GRATUITOUS_ARP_BYTES }] =
    await Promise.all([
      import('../adapters/address/pick.js'),
      import('../adapters/command-runner.js'),
      import('../adapters/address/socat-frames.js'),
      import('../adapters/address/arp-frame.js'),
    ])
  return platformAddressControl(platform, systemCommandRunner, {
    ...(batch ? { batch } : {}),
    missing,
    ...(trace ? { trace } : {}),
    // Without socat there is no frame sender to start: announcements go through arping, if any.
    ...(missing.has('socat')
      ? {}
      : {
          frames: () =>
            socatFrames({
              frameBytes: GRATUITOUS_ARP_BYTES,
              // The sender of the first gratuitous ARP runs at the agent's own real-time priority.
              ...(realtimePriority === undefined ? {} : { realtimePriority }),
              // Announcements still go out (through arping), a few ms later: worth knowing, not fatal.
              onExit: (iface, message) =>
                report({
                  kind: 'error',
                  message: `${message}; gratuitous ARPs on ${iface} go through arping instead`,
                  context: 'gratuitous ARP sender',
                }),
            }),
        }),
  })
}

/** The hook folder of the config (default: Apple's on macOS); a folder that does not exist means no hooks. */
async function folderHooks(
  config: Config,
  opts: AgentOptions,
  report: (event: EventBody) => void,
): Promise<{ hooks: HooksPort; notify: (event: IpfoEvent) => void }> {
  const [{ appleHooks }, { notifyHooks }, { hookProcessRunner }] = await Promise.all([
    import('../hooks/apple-hooks.js'),
    import('../hooks/notify-hooks.js'),
    import('../adapters/hook-process.js'),
  ])
  const dir = hooksDirOf(config, opts)
  const { fileHookRegistry } = await import('../adapters/hook-registry.js')
  const run = hookProcessRunner({ registry: fileHookRegistry(config.paths.stateDir), env: passedEnv(config) })
  const runAsRoot = opts.uid === 0
  return {
    hooks: appleHooks({
      dir,
      config: config.hooks,
      runAsRoot,
      emit: report,
      run,
      resultsDir: join(config.paths.stateDir, 'hook-results'),
    }),
    notify: notifyHooks({ dir, config: config.hooks, node: config.node, runAsRoot, run, emit: report }),
  }
}

/** The guard's hello: where each link's heartbeats go (as the UDP transport sends them), where to log. */
function guardOptions(
  config: Config,
  opts: AgentOptions,
  program: NonNullable<AgentOptions['guard']>,
  report: (event: EventBody) => void,
): GuardProcessOptions {
  return {
    ...program,
    report,
    hello: {
      node: config.node,
      platform: opts.platform === 'darwin' ? 'darwin' : 'linux',
      links: config.links.map((l) => ({
        name: l.name,
        ...(l.listen ? { listen: l.listen } : {}),
        targets: l.targets.map((t) => parseTarget(t, config.port)),
      })),
      log: opts.log ?? 1,
      ...(config.paths.eventLog ? { eventLog: config.paths.eventLog } : {}),
      stateDir: config.paths.stateDir,
      agentPid: process.pid,
    },
  }
}
