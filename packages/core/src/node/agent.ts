import type { Config } from '../config/schema.js'
import { createEngine, type Engine } from '../engine/engine.js'
import type { IpfoEvent } from '../events.js'
import { heartbeatKey, keyRing } from '../heartbeat/key-ring.js'
import type { AddressControl, EventSink, HooksPort } from '../ports.js'
import { startControlServer } from './control-server.js'
import { eventLogger } from './event-log.js'
import { loadConfigFile } from './load-config-file.js'
import { systemClock } from './system-clock.js'
import { udpTransport } from './udp-transport.js'

export interface AgentOptions {
  readonly configFile: string
  readonly platform: NodeJS.Platform
  /** Replaces the platform's address control (the demo's simulated adapter, for instance). */
  readonly address?: AddressControl
  readonly hooks?: HooksPort
  /** Also called for every event, after the log. */
  readonly onEvent?: EventSink
  /** Where the JSON-lines log goes: a file descriptor (default 1, stdout) or a path. */
  readonly log?: string | number
}

export interface RunningAgent {
  readonly config: Config
  readonly engine: Engine
  /** Stops the engine; `release` overrides the config's onStop (a reload keeps addresses). */
  stop(opts?: { release?: boolean }): Promise<void>
}

/** Builds the real ports for one node, starts its engine and its control socket. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, key } = await loadConfigFile(opts.configFile)
  const log = eventLogger(opts.log ?? 1)
  const fileLog = config.paths.eventLog ? eventLogger(config.paths.eventLog) : undefined
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined
  const onEvent = (event: IpfoEvent) => {
    log(event)
    fileLog?.(event)
    control?.publish(event)
    opts.onEvent?.(event)
  }
  const address = opts.address ?? (await platformAddress(opts.platform))
  const engine = createEngine({
    config,
    keys: keyRing(heartbeatKey(key)),
    clock: systemClock,
    transport: udpTransport({
      links: config.links,
      port: config.port,
      clock: systemClock,
      onError: (message) =>
        onEvent({ kind: 'error', message, context: 'heartbeat transport', time: Date.now() }),
    }),
    address,
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
    onEvent,
  })
  control = await startControlServer(config.paths.socket, engine)
  try {
    await engine.start()
  } catch (error) {
    await control.close()
    throw error
  }
  return {
    config,
    engine,
    async stop(stopOpts = {}) {
      await engine.stop(stopOpts)
      await control?.close()
      log.flush()
      fileLog?.flush()
    },
  }
}

async function platformAddress(platform: NodeJS.Platform): Promise<AddressControl> {
  const [{ platformAddressControl }, { systemCommandRunner }] = await Promise.all([
    import('../address/pick.js'),
    import('./command-runner.js'),
  ])
  return platformAddressControl(platform, systemCommandRunner)
}
