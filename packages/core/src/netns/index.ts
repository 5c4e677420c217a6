export { netnsAvailable } from './availability.js'
export {
  createTopology,
  type NetworkName,
  type Topology,
  type TopologyInterface,
  type TopologyNode,
  type TopologyOptions,
  type TopologyService,
} from './topology.js'
