export { type DarwinAddressOptions, darwinAddressControl } from './adapters/address/darwin.js'
export { type LinuxAddressOptions, linuxAddressControl } from './adapters/address/linux.js'
export { platformAddressControl } from './adapters/address/pick.js'
export {
  type NewFile,
  type NewFileOptions,
  nodeWriteFs,
  replaceFile,
  type StagedFile,
  stageFile,
  type WriteFs,
  writeNewFile,
} from './adapters/atomic-write.js'
export {
  type ExecChecker,
  type ExecCheckerOptions,
  type ExecCheckResult,
  startExecChecker,
} from './adapters/checks/exec-checker.js'
export { type EtcdCoordinatorOptions, etcdCoordinator } from './adapters/coordination/etcd-coordinator.js'
export type { ControlMethod, ControlRequest, ControlResponse, HeapAfterGc } from './agent/control-protocol.js'
export type { ChecksConfig } from './config/checks-schema.js'
export type { CoordinationConfig, EtcdCoordinationConfig } from './config/coordination-schema.js'
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
export { isLoopbackHost, type MetricsConfig, parseListen } from './config/metrics-schema.js'
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
export { createEngine } from './engine/engine.js'
export type { Engine, EngineDeps } from './engine/engine-api.js'
export { runChecklist } from './engine/executor.js'
export type { AgentStatus, Counters } from './engine/status.js'
export { decodeHeartbeat, encodeHeartbeat, type Heartbeat, MAX_PACKET_BYTES } from './heartbeat/codec.js'
export { type HeartbeatKey, heartbeatKey, type KeyRing, keyId, keyRing } from './heartbeat/key-ring.js'
export { ReplayGuard } from './heartbeat/replay-guard.js'
export { type AppleHooksOptions, appleHooks, type HookResult, type HookRun } from './hooks/apple-hooks.js'
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
export type { AdvertisedAddress, HoldStatus, NodeStateCode } from './model/advertised.js'
export { type CheckResult, fail, pass, warn } from './model/check-result.js'
export type {
  ClaimResult,
  Coordinator,
  CoordinatorReport,
  CoordinatorStatus,
  HolderChange,
} from './model/coordination.js'
export { describeEvent, type Severity, severityOf } from './model/describe-event.js'
export { type DurationString, type DurationUnit, formatDuration, parseDuration } from './model/duration.js'
export {
  AddressError,
  ConfigError,
  ControlError,
  CoordinationError,
  HookContractError,
  IpfoError,
} from './model/errors.js'
export type {
  AcquireCause,
  DropReason,
  EventOf,
  IpfoEvent,
  IpfoEventKind,
  ReleaseCause,
} from './model/events.js'
export { ACQUIRE_CAUSES, EVENT_KINDS, RELEASE_CAUSES } from './model/events.js'
export {
  HOOK_PHASES,
  HOOK_STAGES,
  type HookAction,
  type HookAddress,
  type HookContext,
  type HookInput,
  type HookInvocation,
  type HookPhase,
  type HookStage,
  hookInvocation,
  NOTIFY_EVENTS,
  type NotifyEventKind,
  type NotifyInput,
  notifyInvocation,
  parseHookInvocation,
  parseNotifyInvocation,
} from './model/hook-contract.js'
export {
  type HookResultLine,
  parseResultLines,
  type RecordedHookResult,
  resultLine,
} from './model/hook-results.js'
export { addressKey, cidr, type InterfaceAddress, normalizeIp, parseCidr } from './model/ip.js'
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
} from './model/ports.js'
export { noHooks } from './model/ports.js'
export { advertisedHeld, advertisedState } from './state-machine/advertise.js'
export { nextDeadline } from './state-machine/deadline.js'
export {
  acquireSteps,
  type Checklist,
  type Effect,
  type EventBody,
  releaseSteps,
  type Step,
} from './state-machine/effects.js'
export type { ChecklistOutcome, Input } from './state-machine/inputs.js'
export type { EngineState, Resource, Timing } from './state-machine/state.js'
export { initialState, transition } from './state-machine/transition.js'
