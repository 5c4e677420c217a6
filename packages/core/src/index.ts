export { type DarwinAddressOptions, darwinAddressControl } from './address/darwin.js'
export { addressKey, cidr, type InterfaceAddress, normalizeIp, parseCidr } from './address/ip.js'
export { type LinuxAddressOptions, linuxAddressControl } from './address/linux.js'
export { platformAddressControl } from './address/pick.js'
export { type CheckResult, fail, pass, warn } from './check-result.js'
export { type DurationString, type DurationUnit, formatDuration, parseDuration } from './config/duration.js'
export { importHostconfig, stringifyConfig } from './config/hostconfig.js'
export { CONFIG_SCHEMA_ID, configJsonSchema } from './config/json-schema.js'
export {
  type ConfigCheck,
  type ConfigIssue,
  checkConfig,
  formatIssues,
  parseConfig,
  readablePath,
} from './config/load.js'
export {
  type AddressConfig,
  type Config,
  type ConfigInput,
  configSchema,
  type HooksConfig,
  hooksSchema,
  type LinkConfig,
  type PeerConfig,
} from './config/schema.js'
export type { ControlMethod, ControlRequest, ControlResponse, HeapAfterGc } from './control/protocol.js'
export { describeEvent, type Severity, severityOf } from './describe-event.js'
export { createEngine, type Engine, type EngineDeps } from './engine/engine.js'
export type { AgentStatus, Counters } from './engine/status.js'
export { AddressError, ConfigError, ControlError, IpfoError } from './errors.js'
export type { DropReason, EventOf, IpfoEvent, IpfoEventKind } from './events.js'
export { decodeHeartbeat, encodeHeartbeat, type Heartbeat, MAX_PACKET_BYTES } from './heartbeat/codec.js'
export { type HeartbeatKey, heartbeatKey, type KeyRing, keyId, keyRing } from './heartbeat/key-ring.js'
export { ReplayGuard } from './heartbeat/replay-guard.js'
export { type AppleHooksOptions, appleHooks, type HookResult, type HookRun } from './hooks/apple-hooks.js'
export {
  HOOK_PHASES,
  type HookAction,
  type HookContext,
  type HookInvocation,
  type HookPhase,
  type HookStage,
  hookInvocation,
  NOTIFY_EVENTS,
  type NotifyEventKind,
  notifyInvocation,
} from './hooks/contract.js'
export {
  addressFolder,
  addressFolderName,
  byteOrder,
  defaultHooksDir,
  isIgnoredName,
  stageScripts,
} from './hooks/layout.js'
export { type NotifyHooksOptions, notifyHooks } from './hooks/notify-hooks.js'
export { checkHookSafety, type PathFacts, type SafetyFs, type SafetyVerdict } from './hooks/safety.js'
export type {
  AddressControl,
  Clock,
  CommandResult,
  CommandRunner,
  EventSink,
  GateVerdict,
  HooksPort,
  PhaseOutcome,
  ReceivedPacket,
  TimerHandle,
  Transport,
} from './ports.js'
export { noHooks } from './ports.js'
export { advertisedHeld, advertisedState } from './state-machine/advertise.js'
export {
  acquireSteps,
  type Checklist,
  type Effect,
  type EventBody,
  releaseSteps,
  type Step,
} from './state-machine/effects.js'
export { runChecklist } from './state-machine/executor.js'
export type { ChecklistOutcome, Input } from './state-machine/inputs.js'
export type { EngineState, NodeStateCode, Resource, Timing } from './state-machine/state.js'
export { initialState, nextDeadline, transition } from './state-machine/transition.js'
