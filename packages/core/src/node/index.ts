export { type AgentOptions, type RunningAgent, startAgent } from './agent.js'
export { systemCommandRunner } from './command-runner.js'
export { controlRequest, followEvents } from './control-client.js'
export { type ControlServer, startControlServer } from './control-server.js'
export { eventLogger } from './event-log.js'
export {
  type HookProcessOptions,
  type HookUser,
  hookProcessRunner,
  resolveUser,
  runHookProcess,
  SAFE_HOOK_PATH,
} from './hook-process.js'
export { generateKey, KEY_BYTES, readKeyFile, writeKeyFile } from './key-file.js'
export { loadConfigFile } from './load-config-file.js'
export { type MissingTools, missingTools, onPath } from './optional-tools.js'
export { simulatedAddressControl } from './simulated-address-control.js'
export { systemClock } from './system-clock.js'
export { parseTarget, udpTransport } from './udp-transport.js'
