// The demo's stages and agents, for the benchmarks (@ipfo/cli/demo): they measure ipfo on the ground
// `ipfo demo` runs on, with agents started as the service unit starts them.
export { AGENT_NODE_FLAGS, IPFO_BIN } from '../service/agent-command.js'
export { type AgentLogLine, AgentProcess } from './agent-process.js'
export { loopbackStage } from './loopback-stage.js'
export { type NamespaceStageOptions, namespaceStage } from './namespace-stage.js'
export { type ExtraConfig, type NodeFiles, writeNodeFiles } from './node-files.js'
export type { ProbeHandle, Stage } from './stage.js'
