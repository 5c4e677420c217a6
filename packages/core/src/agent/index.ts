export { simulatedAddressControl } from '../adapters/address/simulated-address-control.js'
export { systemCommandRunner } from '../adapters/command-runner.js'
export { eventLogger } from '../adapters/event-log.js'
export {
  type HookProcessOptions,
  type HookUser,
  hookProcessRunner,
  resolveUser,
  runHookProcess,
  SAFE_HOOK_PATH,
} from '../adapters/hook-process.js'
export { generateKey, KEY_BYTES, readKeyFile, writeKeyFile } from '../adapters/key-file.js'
export { systemClock } from '../adapters/system-clock.js'
export { parseTarget, udpTransport } from '../adapters/udp-transport.js'
export { type AgentOptions, type RunningAgent, startAgent } from './agent.js'
export { controlRequest, followEvents } from './control-client.js'
export { type ControlServer, startControlServer } from './control-server.js'
export { type LoadedConfig, loadConfigFile } from './load-config-file.js'
export { METRICS, type MetricSpec } from './metrics/catalogue.js'
export { listenHint } from './metrics/listen-hints.js'
export { type MissingTools, missingTools, onPath } from './optional-tools.js'
