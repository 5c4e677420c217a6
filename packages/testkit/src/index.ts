export { type AfpNodeFixture, afpNode } from './afp/afp-node.js'
export { afpPlistValue, binaryPlist, xmlPlist } from './afp/afp-plist-fixture.js'
export { bindMount, isRoot, mountTmpfs, type TestVolume } from './afp/tmpfs.js'
export { dataParent, type EtcdCluster, etcdSkipReason, startEtcdCluster } from './etcd/etcd-cluster.js'
export { freePort, freeUdpPort } from './free-port.js'
export { netnsSkipReason } from './netns-skip.js'
export { type InstalledPackages, installPacked } from './packages/install-packed.js'
export { filesMentioning, linksLeaving } from './packages/installed-tree.js'
export type { PackedPackage } from './packages/pack-workspaces.js'
export { type InstalledRun, runInstalled } from './packages/run-installed.js'
export {
  type Dashboard,
  dashboardQueries,
  grafanaToPromql,
  type Panel,
  readDashboard,
} from './prometheus/grafana-dashboard.js'
export {
  catalogueExposition,
  IPFO_METRICS,
  knownSeriesNames,
  PROCESS_METRICS,
  PROMETHEUS_SERIES,
} from './prometheus/ipfo-metrics.js'
export {
  type Alert,
  PROMETHEUS,
  PROMTOOL,
  type Prometheus,
  PrometheusApiError,
  prometheusSkipReason,
  type RangeSeries,
  type Sample,
  startPrometheus,
} from './prometheus/prometheus.js'
export { seriesNamesIn } from './prometheus/promql-names.js'
export { type CallMatcher, type RecordedCall, RecordingRunner } from './recording-runner.js'
export { selfSignedCert } from './tls.js'
