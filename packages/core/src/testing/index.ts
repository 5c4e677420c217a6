export { type AddressOperation, FakeAddressControl } from './fake-address-control.js'
export { FakeClock, flushPromises } from './fake-clock.js'
export { FakeNetwork } from './fake-network.js'
export { held, MachineSimulation, testTiming, vip } from './machine-simulation.js'
export {
  createTopology,
  type NetworkName,
  netnsAvailable,
  netnsSkipReason,
  type Topology,
  type TopologyInterface,
  type TopologyNode,
  type TopologyOptions,
} from './netns.js'
export { RecordingHooks } from './recording-hooks.js'
export { type CallMatcher, type RecordedCall, RecordingRunner } from './recording-runner.js'
